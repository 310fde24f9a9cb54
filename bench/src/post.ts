// Post service costs, in embedded mode (one process, PGlite, the local bus, lists in memory)
// and in distributed mode (auth, user and post as their own processes over Postgres, NATS
// JetStream and Redis), in one run:
// 1. GetPost of a public post (signed out: cached) beside GetJwks (the trivial public read),
//    one call at a time: p50 / p99 and their ratio.
// 2. GetHomeTimeline, 20 items, at 10 concurrent readers: p50 / p99 from the cached list, and
//    the first read of a returning user (the list rebuilt from Postgres).
// 1 and 2's cached reads are timed by a lean client in a child process (load.ts).
// 3. Fan-out on write: pushing one entry to 10,000 cached home lists (µs per follower), and the
//    store's memory for one full list of 800 entries (Redis MEMORY USAGE).
//   pnpm bench:post [-- --mode embedded|distributed|both --calls 600]
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise)
// and deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import { parseArgs } from 'node:util';
import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { GetPostRequestSchema, PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { GetHomeTimelineRequestSchema } from '@kith/gen/kith/post/v1/timeline_pb.js';
import { create, toBinary } from '@bufbuild/protobuf';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { createMemoryListStore, createRedisClient, createRedisListStore } from '@kith/cache';
import type { ListStore } from '@kith/cache';
import { benchArgs } from './args.js';
import { timeFromChild } from './load.js';
import { percentile } from './percentile.js';
import { setupFor } from './user-setups.js';
import type { Setup } from './user-setups.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    mode: { type: 'string', default: 'both' },
    calls: { type: 'string', default: '600' },
  },
});
const calls = Number(values.calls);
const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
  throw new Error('--mode is embedded, distributed or both');
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const sorted = (timings: number[]) => Float64Array.from(timings).sort();

const key = (n: number) => `bench:home:${n}`;

/** µs per follower of a fan-out to 10,000 lists of 800 entries, and one list's memory. */
async function fanOut(lists: ListStore, memoryOf?: (key: string) => Promise<number>) {
  const followers = 10_000;
  const entry = (i: number) =>
    `${Date.now() - i}|01a24600-0000-7000-8000-${String(i).padStart(12, '0')}|01a24600-0000-7000-8000-${String(i).padStart(12, '0')}|`;
  const full = Array.from({ length: 800 }, (_, i) => entry(i));
  for (let n = 0; n < followers; n++)
    await lists.replace(key(n), full, { cap: 800, ttlMs: 600_000 });
  const keys = Array.from({ length: followers }, (_, n) => key(n));
  const rounds = 5;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) await lists.pushEach(keys, [entry(-r - 1)], { cap: 800 });
  const perFollowerUs = ((performance.now() - start) * 1000) / (rounds * followers);
  const bytes = memoryOf ? await memoryOf(key(0)) : undefined;
  for (const k of keys) await lists.del(k);
  return { perFollowerUs, bytes };
}

async function measure(setup: Setup): Promise<string[]> {
  const transportOf = (baseUrl: string, token: string, ip: string) =>
    createConnectTransport({
      baseUrl,
      httpVersion: '1.1',
      useBinaryFormat: true,
      interceptors: [
        (next) => (req) => {
          if (token) req.header.set('authorization', `Bearer ${token}`);
          req.header.set('x-forwarded-for', ip);
          return next(req);
        },
      ],
    });
  const postsAs = (token: string, ip: string) =>
    createClient(PostService, transportOf(setup.urlOf('post'), token, ip));

  // Four authors; 40 readers follow all four (the per-user limit is 600 calls a minute, so
  // the home timeline's calls rotate over them).
  const authors = [];
  for (let a = 0; a < 4; a++) authors.push(await setup.signUp(`10.8.1.${a}`));
  const readerAccounts = [];
  for (let r = 0; r < 40; r++) readerAccounts.push(await setup.signUp(`10.8.2.${r}`));
  await setup.settle();
  for (const [r, reader] of readerAccounts.entries()) {
    const users = createClient(
      UserService,
      transportOf(setup.urlOf('user'), reader.accessToken, `10.8.2.${r}`),
    );
    for (const author of authors) await users.follow({ userId: author.userId });
  }
  await setup.settle();
  let postId = '';
  for (const [a, author] of authors.entries()) {
    const client = postsAs(author.accessToken, `10.8.1.${a}`);
    for (let i = 0; i < 50; i++) {
      const { post } = await client.createPost({
        text: `Post ${i} by author ${a} #bench`,
        audience: { kind: { case: 'public', value: {} } },
      });
      postId = post!.postId;
    }
  }
  await setup.settle();
  const readers: Client<typeof PostService>[] = readerAccounts.map((r, i) =>
    postsAs(r.accessToken, `10.8.2.${i}`),
  );
  // Timed from a lean client in a child process (load.ts), so the bench process's own
  // scavenges stay out of the tails; GetJwks and GetPost from 100 addresses each.
  const headersOf = (token: string, ip: string) => ({
    'content-type': 'application/proto',
    'x-forwarded-for': ip,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  const fromAddresses = (prefix: string, body: Uint8Array) =>
    Array.from({ length: 100 }, (_, i) => ({ headers: headersOf('', `${prefix}.${i}`), body }));
  const timed = async (
    name: string,
    url: string,
    requests: { headers: Record<string, string>; body: Uint8Array }[],
    workers = 1,
  ) => ({
    name,
    ...(await timeFromChild({
      url,
      requests,
      count: workers === 1 ? calls : calls * 5,
      warmup: Math.max(50, calls / 10),
      workers,
    })),
  });
  const postRpc = (method: string) => `${setup.urlOf('post')}/${PostService.typeName}/${method}`;
  const jwks = await timed(
    'GetJwks (trivial public read)',
    `${setup.authUrl}/${AuthService.typeName}/GetJwks`,
    fromAddresses('10.7.1', new Uint8Array()),
  );
  const getPost = await timed(
    'GetPost, public, anonymous',
    postRpc('GetPost'),
    fromAddresses(
      '10.7.2',
      toBinary(GetPostRequestSchema, create(GetPostRequestSchema, { postId })),
    ),
  );
  // Every reader's list built once (and checked to hold a full page), then read.
  for (const reader of readers) {
    const { items } = await reader.getHomeTimeline({ pageSize: 20 });
    if (items.length !== 20) throw new Error(`home had ${items.length} items`);
  }
  const homeBody = toBinary(
    GetHomeTimelineRequestSchema,
    create(GetHomeTimelineRequestSchema, { pageSize: 20 }),
  );
  const home = await timed(
    'GetHomeTimeline, 20 items, cached',
    postRpc('GetHomeTimeline'),
    readerAccounts.map((r, i) => ({
      headers: headersOf(r.accessToken, `10.8.2.${i}`),
      body: homeBody,
    })),
    10,
  );
  // A returning user: no list, rebuilt from Postgres on the read. The lists are dropped by a
  // new follow; here the bench drops them through the same store the service uses.
  const redisClient = setup.redisKeyPrefix ? createRedisClient({ url: redisUrl }) : undefined;
  await redisClient?.connect();
  const lists = redisClient ? createRedisListStore(redisClient, setup.redisKeyPrefix!) : undefined;
  const rebuildTimings: number[] = [];
  if (lists) {
    for (const [i, reader] of readers.entries()) {
      await lists.del(`post:home:${readerAccounts[i]!.userId}`);
      const t = performance.now();
      await reader.getHomeTimeline({ pageSize: 20 });
      rebuildTimings.push(performance.now() - t);
    }
  }
  redisClient?.disconnect();
  const fmt = (x: number) => x.toFixed(2).padStart(8);
  const rows = [jwks, getPost, home];
  const lines = [
    `\n${setup.mode}, ${calls} calls one at a time (home: ${calls * 5} over 10 at once), Node ${process.version}\n`,
    'scenario                                p50 ms    p99 ms',
    ...rows.map((r) => `${r.name.padEnd(36)} ${fmt(r.p50)}  ${fmt(r.p99)}`),
    `GetPost / GetJwks at p50: ${(getPost.p50 / jwks.p50).toFixed(2)}× the time (${(jwks.p50 / getPost.p50).toFixed(2)}× the rate)`,
    `home at 10 readers: ${home.rps.toFixed(0)} calls/s`,
  ];
  if (rebuildTimings.length > 0) {
    const s = sorted(rebuildTimings);
    lines.push(
      `home, returning user (list rebuilt from Postgres), ${s.length} reads: p50 ${fmt(percentile(s, 50))} ms, p99 ${fmt(percentile(s, 99))} ms`,
    );
  }
  return lines;
}

const report: string[] = [];
for (const mode of modes) {
  const setup = await setupFor(mode, ['post']);
  try {
    report.push(...(await measure(setup)));
  } finally {
    await setup.stop();
  }
}

// Fan-out on write, on each store.
const memory = await fanOut(createMemoryListStore({ maxLists: 20_000 }));
const redis = createRedisClient({ url: redisUrl });
await redis.connect();
const prefix = `kith-bench-${process.pid}`;
const onRedis = await fanOut(createRedisListStore(redis, prefix), async (k) =>
  Number(await redis.call('MEMORY', 'USAGE', `${prefix}:list:${k}`, 'SAMPLES', '0')),
);
redis.disconnect();
report.push(
  '\nfan-out on write: one entry pushed to 10,000 cached home lists of 800 entries',
  `  memory lists: ${memory.perFollowerUs.toFixed(2)} µs per follower`,
  `  Redis lists:  ${onRedis.perFollowerUs.toFixed(2)} µs per follower; one full list ${((onRedis.bytes ?? 0) / 1024).toFixed(1)} KiB`,
  '\ngoals: GetPost (cache hit) ≥ 0.7× the no-op rate; home p50 ≤ 1 ms and p99 ≤ 3 ms at 10 readers',
);
console.log(report.join('\n'));
