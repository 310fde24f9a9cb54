// The moderation exposure window: how long a post that a HIDE rule catches stays visible. A HIDE
// link rule on one domain (in scope POST, made through ModerationAdminService.CreateRule), then a
// steady stream of real CreatePost calls at `--rate` posts/s for `--seconds` from many authors,
// a `--bad` fraction of them linking to the ruled domain. Per bad post: from just before
// CreatePost was sent to (1) the post service's row showing the moderation state (post's
// `posts.moderation_state`, read directly) and (2) a reader's GetPost answering NotFound — p50 /
// p99 / max, and the bad posts never hidden within HIDE_TIMEOUT_MS. The path: post's outbox →
// bus → moderation's consumer queues a rule job → the rule runner (woken on commit) evaluates,
// snapshots the post (post's internal GetReportSnapshot) and applies an automated HIDE_CONTENT →
// moderation's outbox → bus → post applies UNDER_REVIEW → GetPost answers NotFound.
//
// Beside it, where the time goes, read from the databases afterwards on the servers' wall clock
// (one machine): post's created_at, post's outbox published_at, moderation's inbox processed_at
// of the post.created (the transaction that queued the rule job), the action's created_at (the
// runner's clock after the snapshot), moderation's outbox published_at of content_actioned, and
// post's inbox processed_at of it (the transaction that applied the hide).
//
// The RPC clients (authors and readers) live in a child process of their own (this file again,
// as the driver), as in sos-fanout.ts: in embedded mode the whole of Kith runs in this process.
// Send and arrival times are taken there; this process only polls post's table for the row
// state. The rate is open loop (sends are due at fixed times) with at most `--in-flight` calls
// outstanding, so when Kith cannot keep up the rate achieved is what it managed, and is printed
// beside the target. Readers poll only the pending bad posts, each every POLL_EVERY_MS at most,
// within a poll budget that keeps every reader under the per-user request limit (600/min): with
// many bad posts pending at once a post is polled less often (the average is printed).
//   pnpm bench:moderation-exposure [-- --mode embedded|distributed|both --rate 1000 --seconds 10
//                                      --bad 0.05 --in-flight 64 --readers 30]
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise) and
// deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { decodeEvent } from '@kith/bus';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { RuleEffect, RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import { benchArgs } from './args.js';
import { latencyStats, percentile } from './percentile.js';
import { benchTransport, setupFor } from './user-setups.js';
import type { BenchUser, Setup } from './user-setups.js';

const RULED_DOMAIN = 'spam-bench.example';
/** A bad post not hidden this long after it was sent counts as NOT HIDDEN. */
const HIDE_TIMEOUT_MS = 30_000;
/** How often a pending bad post is polled, at most (reader GetPost and post's row alike). */
const POLL_EVERY_MS = 20;
/** Reader polls outstanding at once. */
const POLLS_IN_FLIGHT = 8;
/** Per reader: under the 600 requests a minute a signed-in user may make. */
const READER_POLLS_PER_SECOND = 9;
/** Posts per author: CreatePost allows 300 per user in 3 hours. */
const POSTS_PER_AUTHOR = 250;
const GOAL_MS = 1000;
/** The rule runner's lease (LEASE_MS in services/moderation/src/rules/rule-runner.ts). */
const RULE_JOB_LEASE_MS = 30_000;
const GOAL_RATE = 1000;

/** performance.now() as wall-clock milliseconds, comparable across processes and databases. */
const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeName = (err: unknown) => Code[ConnectError.from(err).code] ?? 'unknown';

type Person = BenchUser & { ip: string };

// ---------------------------------------------------------------------------------------------
// What the two processes say to each other.

interface DriverStart {
  start: {
    postUrl: string;
    authors: Person[];
    readers: Person[];
    rate: number;
    seconds: number;
    bad: number;
    inFlight: number;
  };
}
interface BadPost {
  postId: string;
  /** Wall clock: just before CreatePost was sent; its answer; the reader's NotFound. */
  sent: number;
  answered: number;
  hidden: number | null;
  polls: number;
}
interface DriverResults {
  /** First send → last CreatePost answer. */
  elapsedMs: number;
  /** CreatePost calls sent and answered with a post; the failures by code. */
  sent: number;
  created: number;
  failed: Record<string, number>;
  /** CreatePost latency (all posts) and how late each send was against its schedule. */
  createMs: number[];
  lagMs: number[];
  badPosts: BadPost[];
  polls: number;
  pollFailed: Record<string, number>;
}
type FromDriver =
  | { bad: { postId: string; sent: number } }
  /** The first send is going out / the last CreatePost answered (the load's span). */
  | { phase: 'sending' | 'sent' }
  | { results: DriverResults };

// ---------------------------------------------------------------------------------------------
// The driver: authors and readers, in a process of their own.

async function drive(): Promise<void> {
  const start = await new Promise<DriverStart['start']>((resolve) =>
    process.once('message', (m: DriverStart) => resolve(m.start)),
  );
  const postsAs = (p: Person) =>
    createClient(PostService, benchTransport(start.postUrl, p.accessToken, p.ip));
  const authors = start.authors.map(postsAs);
  const readers = start.readers.map(postsAs);
  const total = Math.round(start.rate * start.seconds);
  // Bad posts spread evenly over the stream: post i is bad when the running count of bad ones
  // steps up at i.
  const isBad = (i: number) => Math.floor((i + 1) * start.bad) > Math.floor(i * start.bad);
  const text = (i: number) =>
    isBad(i)
      ? `bench ${i}: a deal you will not believe at https://www.${RULED_DOMAIN}/offer/${i}`
      : i % 2
        ? `bench ${i}: notes from the allotment, see https://example.org/garden/${i}`
        : `bench ${i}: nothing much today, the weather held and the bus was on time`;

  const results: DriverResults = {
    elapsedMs: 0,
    sent: 0,
    created: 0,
    failed: {},
    createMs: [],
    lagMs: [],
    badPosts: [],
    polls: 0,
    pollFailed: {},
  };
  const pending = new Map<string, BadPost & { lastPoll: number; polling: boolean }>();
  let inFlight = 0;
  let sending = true;
  let lastAnswer = 0;

  const send = (i: number, due: number) => {
    const sent = performance.now();
    results.lagMs.push(sent - due);
    results.sent += 1;
    inFlight += 1;
    authors[i % authors.length]!.createPost({
      text: text(i),
      audience: { kind: { case: 'public', value: {} } },
    })
      .then(
        ({ post }) => {
          const answered = performance.now();
          lastAnswer = answered;
          results.created += 1;
          results.createMs.push(answered - sent);
          if (isBad(i)) {
            const bad = {
              postId: post!.postId,
              sent: performance.timeOrigin + sent,
              answered: performance.timeOrigin + answered,
              hidden: null,
              polls: 0,
            };
            pending.set(bad.postId, { ...bad, lastPoll: answered, polling: false });
            process.send!({ bad: { postId: bad.postId, sent: bad.sent } } satisfies FromDriver);
          }
        },
        (err: unknown) => {
          lastAnswer = performance.now();
          const code = codeName(err);
          results.failed[code] = (results.failed[code] ?? 0) + 1;
        },
      )
      .finally(() => (inFlight -= 1));
  };

  // Reader polls: only pending bad posts, each every POLL_EVERY_MS at most, within the budget.
  const pollBudgetPerMs = (readers.length * READER_POLLS_PER_SECOND) / 1000;
  let nextPollAt = 0;
  let pollsInFlight = 0;
  const finish = (postId: string, hidden: number | null) => {
    const p = pending.get(postId)!;
    pending.delete(postId);
    results.badPosts.push({
      postId,
      sent: p.sent,
      answered: p.answered,
      hidden,
      polls: p.polls,
    });
  };
  const poll = (postId: string, p: BadPost & { lastPoll: number; polling: boolean }) => {
    const at = performance.now();
    p.polling = true;
    p.lastPoll = at;
    p.polls += 1;
    pollsInFlight += 1;
    readers[results.polls++ % readers.length]!.getPost({ postId })
      .then(
        () => undefined,
        (err: unknown) => {
          if (ConnectError.from(err).code === Code.NotFound) return finish(postId, wallNow());
          const code = codeName(err);
          results.pollFailed[code] = (results.pollFailed[code] ?? 0) + 1;
        },
      )
      .finally(() => {
        p.polling = false;
        pollsInFlight -= 1;
      });
  };
  const polling = (async () => {
    while (sending || pending.size > 0) {
      const now = performance.now();
      for (const [postId, p] of pending) {
        if (p.polling) continue;
        if (wallNow() - p.sent > HIDE_TIMEOUT_MS) {
          finish(postId, null);
          continue;
        }
        if (now - p.lastPoll < POLL_EVERY_MS) continue;
        if (pollsInFlight >= POLLS_IN_FLIGHT || now < nextPollAt) break;
        // A burst of at most POLL_EVERY_MS worth of budget after a quiet spell.
        nextPollAt = Math.max(nextPollAt, now - POLL_EVERY_MS) + 1 / pollBudgetPerMs;
        poll(postId, p);
      }
      await sleep(2);
    }
  })();

  // Open loop: send i is due at t0 + i / rate; at most `inFlight` outstanding; sends stop at
  // t0 + seconds whatever was sent.
  process.send!({ phase: 'sending' } satisfies FromDriver);
  const t0 = performance.now();
  const stopAt = t0 + start.seconds * 1000;
  let next = 0;
  while (next < total && performance.now() < stopAt) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * start.rate) / 1000) + 1);
    while (next < due && inFlight < start.inFlight) {
      send(next, t0 + (next * 1000) / start.rate);
      next += 1;
    }
    await sleep(1);
  }
  while (inFlight > 0) await sleep(5);
  results.elapsedMs = lastAnswer - t0;
  process.send!({ phase: 'sent' } satisfies FromDriver);
  sending = false;
  await polling;
  await new Promise((resolve) => process.send!({ results } satisfies FromDriver, resolve));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The bench: Kith, the rule and the people; the driver sends and reads, this process watches
// post's table and reads the databases afterwards.

const stats = latencyStats;
const fmt = (ms: number) => ms.toFixed(1).padStart(9);
const row = (s: ReturnType<typeof stats>) =>
  `${s.name.padEnd(46)} ${String(s.n).padStart(6)} ${fmt(s.p50)} ${fmt(s.p99)} ${fmt(s.max)}`;
const ms = (d: Date | string) => new Date(d).getTime();

interface CpuSample {
  at: number;
  /** Machine-wide busy and total jiffies. */
  busy: number;
  total: number;
  /** CPU jiffies by process name. */
  byName: Map<string, number>;
}

/**
 * CPU used so far (Linux /proc, read only): the machine, this process, the driver, the service
 * processes this process started, and Postgres, NATS and Redis.
 */
function sampleCpu(driverPid: number): CpuSample | undefined {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const jiffies = fields.map(Number);
    const total = jiffies.reduce((a, b) => a + b, 0);
    const byName = new Map<string, number>();
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      let name: string | undefined;
      if (Number(pid) === process.pid) name = 'this process';
      else if (Number(pid) === driverPid) name = 'driver';
      else if (ppid === process.pid) {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        name = /services\/([a-z-]+)\/src\/main\.ts/.exec(cmdline)?.[1];
      } else if (['postgres', 'nats-server', 'redis-server'].includes(comm)) name = comm;
      if (name) byName.set(name, (byName.get(name) ?? 0) + Number(rest[11]) + Number(rest[12]));
    }
    // idle and iowait are the 4th and 5th.
    return { at: performance.now(), busy: total - jiffies[3]! - jiffies[4]!, total, byName };
  } catch {
    return undefined;
  }
}

/** CPU over the load's span, in % of one core, busiest first. */
function cpuLine(mode: Setup['mode'], from?: CpuSample, to?: CpuSample): string {
  if (!from || !to) return 'CPU: not measured (no /proc)';
  const seconds = (to.at - from.at) / 1000;
  const ticks = 100; // USER_HZ
  const cores = os.cpus().length;
  const parts = [...to.byName]
    .map(([name, t]) => [name, (t - (from.byName.get(name) ?? 0)) / ticks / seconds] as const)
    .filter(([, share]) => share >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, share]) => {
      const label = name === 'this process' && mode === 'embedded' ? 'Kith (this process)' : name;
      return `${label} ${(share * 100).toFixed(0)}`;
    });
  const machine = (to.busy - from.busy) / (to.total - from.total);
  return `CPU while posting (% of one core): ${parts.join(', ')}; the machine ${(machine * 100).toFixed(0)} % busy of ${cores} cores`;
}

/** Sign-ups, a few at a time (argon2 is the cost). */
async function signUpAll(kith: Setup, ips: string[]): Promise<Person[]> {
  const people: Person[] = new Array<Person>(ips.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < ips.length) {
        const i = next++;
        people[i] = { ...(await kith.signUp(ips[i]!)), ip: ips[i]! };
      }
    }),
  );
  return people;
}

/** Rows of `query` for ids in chunks (an IN list of thousands is slow to plan on PGlite). */
async function byChunks<T>(ids: string[], query: (chunk: string[]) => Promise<T[]>) {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await query(ids.slice(i, i + 500))));
  return out;
}

/** Outbox rows of one event type written since `since`, by the post they concern. */
async function outboxByPost(
  database: ReturnType<Setup['db']>,
  subject: string,
  since: Date,
  postOf: (data: Uint8Array) => string | undefined,
) {
  const { rows } = await sql<{
    id: string;
    data: Uint8Array;
    created_at: Date;
    published_at: Date | null;
  }>`select id, data, created_at, published_at from ${database.table('outbox')}
     where subject = ${subject} and created_at >= ${since}`.execute(database.db);
  const out = new Map<string, { id: string; published: number | null }>();
  for (const r of rows) {
    const postId = postOf(r.data);
    if (postId) out.set(postId, { id: r.id, published: r.published_at && ms(r.published_at) });
  }
  return out;
}

/** When a consumer's transaction took each message (inbox processed_at = its start). */
async function inboxOf(database: ReturnType<Setup['db']>, consumer: string, since: Date) {
  const { rows } = await sql<{ message_id: string; processed_at: Date }>`
    select message_id, processed_at from ${database.table('inbox')}
    where consumer = ${consumer} and processed_at >= ${since}`.execute(database.db);
  return new Map(rows.map((r) => [r.message_id, ms(r.processed_at)]));
}

/** Where the time of each hidden bad post went, from the databases. */
async function breakdown(
  kith: Setup,
  ruleId: string,
  since: Date,
  bad: BadPost[],
  watched: { rowSeen: Map<string, number>; claimed: Map<string, number> },
) {
  const post = kith.db('post');
  const moderation = kith.db('moderation');
  const ids = bad.map((b) => b.postId);
  const created = new Map(
    (
      await byChunks(
        ids,
        async (chunk) =>
          (
            await sql<{ id: string; created_at: Date }>`
              select id, created_at from ${post.table('posts')}
              where id in (${sql.join(chunk)})`.execute(post.db)
          ).rows,
      )
    ).map((r) => [r.id, ms(r.created_at)]),
  );
  const postCreated = await outboxByPost(post, 'kith.events.post.created', since, (data) => {
    const { payload } = decodeEvent(data);
    return payload.case === 'postCreated' ? payload.value.postId : undefined;
  });
  const actioned = await outboxByPost(
    moderation,
    'kith.events.moderation.content_actioned',
    since,
    (data) => {
      const { payload } = decodeEvent(data);
      if (payload.case !== 'moderationContentActioned') return undefined;
      const kind = payload.value.subject?.kind;
      return kind?.case === 'postId' ? kind.value : undefined;
    },
  );
  const queued = await inboxOf(moderation, 'moderation-moderation-rules-from-post', since);
  const applied = await inboxOf(post, 'post-posts-from-moderation', since);
  const { rows: actionRows } = await sql<{ subject_id: string; created_at: Date }>`
    select subject_id, created_at from ${moderation.table('actions')}
    where actor_rule_id = ${ruleId} and created_at >= ${since}`.execute(moderation.db);
  const actions = new Map(actionRows.map((r) => [r.subject_id, ms(r.created_at)]));

  const stages: Record<string, number[]> = {};
  const add = (name: string, from: number | null | undefined, to: number | null | undefined) => {
    if (from == null || to == null) return;
    (stages[name] ??= []).push(to - from);
  };
  for (const b of bad) {
    const createdAt = created.get(b.postId);
    const out = postCreated.get(b.postId);
    const queuedAt = out && queued.get(out.id);
    const actionAt = actions.get(b.postId);
    const back = actioned.get(b.postId);
    const appliedAt = back && applied.get(back.id);
    const claimedAt = watched.claimed.get(b.postId);
    add('sent → post created_at (handler took its time)', b.sent, createdAt);
    add('post created_at → reader NotFound', createdAt, b.hidden);
    add('  created_at → moderation took post.created', createdAt, queuedAt);
    add('    created_at → relay marked it published', createdAt, out?.published);
    add('  took it (job queued) → HIDE action', queuedAt, actionAt);
    add('    job queued → runner claimed it', queuedAt, claimedAt);
    add('    claimed → HIDE action (batch, snapshot)', claimedAt, actionAt);
    add('  action → post took content_actioned', actionAt, appliedAt);
    add('    action → relay marked it published', actionAt, back?.published);
    add('  post took it (hide applied) → row seen', appliedAt, watched.rowSeen.get(b.postId));
    add('  hide applied → reader NotFound', appliedAt, b.hidden);
  }
  return Object.entries(stages).map(([name, samples]) => stats(name, samples));
}

/** The events each service's outbox took over the run, most frequent first. */
async function outboxCounts(database: ReturnType<Setup['db']>, since: Date): Promise<string> {
  const { rows } = await sql<{ subject: string; n: number }>`
    select subject, count(*)::int as n from ${database.table('outbox')}
    where created_at >= ${since} group by subject order by n desc`.execute(database.db);
  const { rows: batches } = await sql<{ published_at: Date; n: number }>`
    select published_at, count(*)::int as n from ${database.table('outbox')}
    where created_at >= ${since} and published_at is not null
    group by published_at order by published_at`.execute(database.db);
  const published = batches.reduce((sum, b) => sum + b.n, 0);
  const span = batches.length
    ? (ms(batches[batches.length - 1]!.published_at) - ms(batches[0]!.published_at)) / 1000
    : 0;
  const largest = Math.max(0, ...batches.map((b) => b.n));
  return `${rows.map((r) => `${r.subject.replace('kith.events.', '')} ${r.n}`).join(', ')}; the relay marked ${published} published in ${batches.length} batches over ${span.toFixed(1)} s (${span ? (published / span).toFixed(0) : '-'}/s, largest batch ${largest})`;
}

async function measure(
  kith: Setup,
  options: {
    rate: number;
    seconds: number;
    bad: number;
    inFlight: number;
    readers: number;
  },
): Promise<{ lines: string[]; p99: number; rate: number }> {
  const net = kith.mode === 'embedded' ? 20 : 30;
  const admin = await kith.signUp(`10.${net}.0.1`, 'admin');
  const moderationAdmin = createClient(
    ModerationAdminService,
    benchTransport(kith.urlOf('moderation'), admin.accessToken, `10.${net}.0.1`),
  );
  const { rule } = await moderationAdmin.createRule({
    rule: {
      enabled: true,
      name: 'bench scam domain',
      condition: { case: 'link', value: { domains: [RULED_DOMAIN] } },
      effect: RuleEffect.HIDE,
      category: ReportCategory.SPAM,
      scopes: [RuleScope.POST],
    },
  });
  const ruleId = rule!.ruleId;
  const total = Math.round(options.rate * options.seconds);
  const authorCount = Math.max(8, Math.ceil(total / POSTS_PER_AUTHOR));
  const ip = (k: number) => `10.${net}.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`;
  const signUpStarted = performance.now();
  const people = await signUpAll(
    kith,
    Array.from({ length: authorCount + options.readers + 1 }, (_, k) => ip(k)),
  );
  const signUpSeconds = (performance.now() - signUpStarted) / 1000;
  const [warm, ...rest] = people;
  const authors = rest.slice(0, authorCount);
  const readers = rest.slice(authorCount);

  // Warm-up: one bad post hidden end to end (the rule is in force everywhere), then quiet.
  const warmPosts = createClient(
    PostService,
    benchTransport(kith.urlOf('post'), warm!.accessToken, warm!.ip),
  );
  const warmReader = createClient(
    PostService,
    benchTransport(kith.urlOf('post'), readers[0]!.accessToken, readers[0]!.ip),
  );
  const pub = { kind: { case: 'public' as const, value: {} } };
  for (let i = 0; i < 5; i++) await warmPosts.createPost({ text: `warm-up ${i}`, audience: pub });
  const { post: warmBad } = await warmPosts.createPost({
    text: `warm-up https://${RULED_DOMAIN}/x`,
    audience: pub,
  });
  await waitFor(
    () =>
      warmReader.getPost({ postId: warmBad!.postId }).then(
        () => false,
        (err: unknown) => ConnectError.from(err).code === Code.NotFound,
      ),
    { timeoutMs: HIDE_TIMEOUT_MS, intervalMs: 100, what: 'the warm-up bad post to be hidden' },
  );
  await kith.settle();

  // This process watches post's table for the pending bad posts' moderation state.
  const post = kith.db('post');
  const moderation = kith.db('moderation');
  const rowPending = new Map<string, number>();
  const rowSeen = new Map<string, number>();
  // When the runner claimed each bad post's rule job: a claim sets not_before to the lease's end.
  const claimed = new Map<string, number>();
  let watching = true;
  const watcher = (async () => {
    while (watching || rowPending.size > 0) {
      const now = wallNow();
      for (const [postId, sent] of rowPending) {
        if (now - sent > HIDE_TIMEOUT_MS) rowPending.delete(postId);
      }
      if (rowPending.size > 0) {
        const ids = [...rowPending.keys()].slice(0, 500);
        const { rows } = await sql<{ id: string }>`
          select id from ${post.table('posts')}
          where id in (${sql.join(ids)}) and moderation_state <> 1`.execute(post.db);
        const at = wallNow();
        for (const { id } of rows) {
          rowSeen.set(id, at);
          rowPending.delete(id);
        }
        const unclaimed = ids.filter((id) => !claimed.has(id));
        if (unclaimed.length) {
          const { rows: jobs } = await sql<{ subject_id: string; not_before: Date }>`
            select subject_id, not_before from ${moderation.table('rule_jobs')}
            where subject_id in (${sql.join(unclaimed)}) and attempts > 0`.execute(moderation.db);
          for (const j of jobs) claimed.set(j.subject_id, ms(j.not_before) - RULE_JOB_LEASE_MS);
        }
      }
      await sleep(POLL_EVERY_MS);
    }
  })();

  const since = new Date();
  let cpuFrom: CpuSample | undefined;
  let cpuTo: CpuSample | undefined;
  const driver = fork(new URL(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, MODERATION_EXPOSURE_DRIVER: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const results = await new Promise<DriverResults>((resolve, reject) => {
    driver.on('message', (m: FromDriver) => {
      if ('bad' in m) rowPending.set(m.bad.postId, m.bad.sent);
      else if ('phase' in m) {
        if (m.phase === 'sending') cpuFrom = sampleCpu(driver.pid!);
        else cpuTo = sampleCpu(driver.pid!);
      } else resolve(m.results);
    });
    driver.once('exit', (code) => reject(new Error(`the driver exited (${code})`)));
    driver.send({
      start: {
        postUrl: kith.urlOf('post'),
        authors,
        readers,
        rate: options.rate,
        seconds: options.seconds,
        bad: options.bad,
        inFlight: options.inFlight,
      },
    } satisfies DriverStart);
  });
  const wallMs = wallNow() - since.getTime();
  driver.removeAllListeners('exit');
  if (driver.exitCode === null) await once(driver, 'exit');
  watching = false;
  await watcher;

  const bad = results.badPosts;
  const hidden = bad.filter((b) => b.hidden !== null);
  const notHidden = bad.filter((b) => b.hidden === null);
  const rate = (results.created * 1000) / results.elapsedMs;
  const exposure = stats('bad post sent → reader GetPost NotFound', [
    ...hidden.map((b) => b.hidden! - b.sent),
  ]);
  const pendingMs = hidden.reduce((sum, b) => sum + (b.hidden! - b.answered), 0);
  const hiddenPolls = hidden.reduce((sum, b) => sum + b.polls, 0);
  const failures = (f: Record<string, number>) =>
    Object.entries(f)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ') || 'none';
  const lines = [
    `\n${kith.mode}: target ${options.rate} posts/s for ${options.seconds} s, ${(options.bad * 100).toFixed(1)} % linking to ${RULED_DOMAIN} (a HIDE link rule); ${authors.length} authors, ${readers.length} readers (signed up in ${signUpSeconds.toFixed(1)} s)`,
    `achieved ${rate.toFixed(0)} posts/s (${(rate / options.rate).toFixed(2)}× the target): ${results.created} posts in ${(results.elapsedMs / 1000).toFixed(2)} s, ${results.sent} sent, failed: ${failures(results.failed)}; sends behind schedule p99 ${fmt(percentile(Float64Array.from(results.lagMs).sort(), 99)).trim()} ms (at most ${options.inFlight} in flight)`,
    'measure                                             n    p50 ms    p99 ms    max ms',
    row(stats('CreatePost answered (every post)', results.createMs)),
    row(
      stats('bad post sent → post row under review', [
        ...bad.flatMap((b) => (rowSeen.has(b.postId) ? [rowSeen.get(b.postId)! - b.sent] : [])),
      ]),
    ),
    row(exposure),
    'where the time goes (server timestamps, hidden bad posts):',
    ...(await breakdown(kith, ruleId, since, hidden, { rowSeen, claimed })).map(row),
    `  (claims seen by this bench's ${POLL_EVERY_MS} ms watch of rule_jobs: ${claimed.size} of ${hidden.length}; "marked published" is the end of the relay's batch)`,
    `post's outbox over the run: ${await outboxCounts(post, since)}`,
    `moderation's outbox over the run: ${await outboxCounts(moderation, since)}`,
    `reader polls: ${results.polls} GetPost (${((results.polls * 1000) / wallMs).toFixed(0)}/s over the run, budget ${readers.length * READER_POLLS_PER_SECOND}/s), a pending bad post polled every ${(pendingMs / Math.max(1, hiddenPolls)).toFixed(0)} ms on average; failed: ${failures(results.pollFailed)}`,
    cpuLine(kith.mode, cpuFrom, cpuTo),
  ];
  if (notHidden.length) {
    lines.push(
      `NOT HIDDEN within ${HIDE_TIMEOUT_MS / 1000} s: ${notHidden.length} of ${bad.length} bad posts (${notHidden
        .slice(0, 5)
        .map((b) => b.postId)
        .join(', ')}${notHidden.length > 5 ? ', …' : ''})`,
    );
  }
  // A bad post never hidden fails the figure whatever the percentiles say.
  return { lines, p99: notHidden.length ? Infinity : exposure.p99, rate };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      mode: { type: 'string', default: 'both' },
      rate: { type: 'string', default: String(GOAL_RATE) },
      seconds: { type: 'string', default: '10' },
      bad: { type: 'string', default: '0.05' },
      'in-flight': { type: 'string', default: '64' },
      readers: { type: 'string', default: '30' },
    },
  });
  const options = {
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    bad: Number(values.bad),
    inFlight: Number(values['in-flight']),
    readers: Number(values.readers),
  };
  if (!(options.rate > 0 && options.seconds > 0)) throw new Error('--rate and --seconds are > 0');
  if (!(options.bad > 0 && options.bad <= 1)) throw new Error('--bad is in (0, 1]');
  if (!(options.inFlight >= 1 && options.readers >= 1)) {
    throw new Error('--in-flight and --readers are ≥ 1');
  }
  const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
  if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
    throw new Error('--mode is embedded, distributed or both');
  }
  const verdicts: string[] = [];
  for (const mode of modes) {
    const services = ['post', 'moderation'] as const;
    const kith = await setupFor(mode, services);
    try {
      const { lines, p99, rate } = await measure(kith, options);
      console.log(lines.join('\n'));
      // Met only at the goal's rate: a window measured at a lower rate does not show it.
      const met = p99 <= GOAL_MS && rate >= GOAL_RATE;
      verdicts.push(
        `${mode} ${Number.isFinite(p99) ? p99.toFixed(0) : 'NOT HIDDEN'} ms at ${rate.toFixed(0)} posts/s ${
          met
            ? 'met'
            : `MISSED${rate < GOAL_RATE ? ` (rate ${(rate / GOAL_RATE).toFixed(2)}× of 1k/s)` : ''}`
        }`,
      );
    } finally {
      await kith.stop();
    }
  }
  console.log(`\nexposure window p99 ≤ 1 s at 1k events/s: ${verdicts.join('; ')}`);
}

if (process.env.MODERATION_EXPOSURE_DRIVER === '1') await drive();
else await main();
