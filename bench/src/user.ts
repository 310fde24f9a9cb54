// User service costs side by side in one run, in embedded mode (one process, PGlite, the local
// bus) and in distributed mode (auth and user as their own processes over Postgres, NATS
// JetStream and Redis), each mode measured on its own:
// 1. GetProfile of one user (its cached path) against the trivial public read (GetJwks), under
//    the same load generator: the ratio is what the profile costs over the RPC itself.
// 2. GetRelationships for 100 users: p50 / p99 of one call at a time.
// 3. Follow → the followee's notification, at an offered 200 follows per second: from the
//    Follow request leaving the client (a lean one in a child process, sending on schedule)
//    to user.notification_created reaching a bus consumer (where the gateway and the push
//    worker take it); and how soon each Follow was answered.
//   pnpm bench:user [-- --mode embedded|distributed|both --only profile|relationships|follow
//                     --duration 5 --connections 32 --rate 200]
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise) and
// deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { percentile } from './percentile.js';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { decodeEvent } from '@kith/bus';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import {
  FollowRequestSchema,
  GetRelationshipsRequestSchema,
  UserService,
} from '@kith/gen/kith/user/v1/user_pb.js';
import { create, toBinary } from '@bufbuild/protobuf';
import { load, paceFromChild, timeFromChild } from './load.js';
import { setupFor } from './user-setups.js';
import type { BenchUser, Setup } from './user-setups.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    mode: { type: 'string', default: 'both' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '200' },
    /** One scenario only: profile, relationships or follow. */
    only: { type: 'string' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const followRate = Number(values.rate);
const wanted = (scenario: 'profile' | 'relationships' | 'follow') =>
  values.only === undefined || values.only === scenario;
const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
  throw new Error(`--mode is embedded, distributed or both, not ${values.mode}`);
}

let ipCounter = 0;
/** Every request from its own address, so the per-address limits stay out of the figures. */
const freshIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
const fmt = (n: number) => n.toFixed(1).padStart(8);

async function measure(setup: Setup): Promise<string[]> {
  const USERS = 240;
  const users: BenchUser[] = [];
  for (let i = 0; i < USERS; i += 20) {
    users.push(...(await Promise.all(Array.from({ length: 20 }, () => setup.signUp(freshIp())))));
  }
  // Each sign-up leaves events for five consumers; none of that backlog is this bench's load.
  await setup.settle();
  const client = (token: string) =>
    createClient(
      UserService,
      createConnectTransport({
        baseUrl: setup.userUrl,
        httpVersion: '1.1',
        interceptors: [
          (next) => (req) => {
            req.header.set('authorization', `Bearer ${token}`);
            req.header.set('x-forwarded-for', freshIp());
            return next(req);
          },
        ],
      }),
    );
  // Profiles come from auth's events: wait until the last one is there.
  for (const deadline = Date.now() + 30_000; ;) {
    const last = users[users.length - 1]!;
    const ok = await client(last.accessToken)
      .getProfile({ lookup: { case: 'userId', value: last.userId } })
      .then(() => true)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('profiles never appeared');
    await new Promise((r) => setTimeout(r, 50));
  }

  const run = (name: string, url: string, body: string) =>
    load({
      name,
      url,
      body,
      connections,
      duration,
      perRequest: () => ({ 'x-forwarded-for': freshIp() }),
    });

  const lines = [
    `\n${setup.mode}: ${connections} connections, ${duration}s each, Node ${process.version}\n`,
  ];

  // 1. The trivial read and GetProfile, warmed up, then measured one after the other.
  if (wanted('profile')) {
    const jwks = `${setup.authUrl}/kith.auth.v1.AuthService/GetJwks`;
    const profileUrl = `${setup.userUrl}/kith.user.v1.UserService/GetProfile`;
    const profileBody = JSON.stringify({ userId: users[0]!.userId });
    await run('warmup', jwks, '{}');
    await run('warmup', profileUrl, profileBody);
    const noop = await run('GetJwks (trivial public read)', jwks, '{}');
    const profile = await run('GetProfile (cached)', profileUrl, profileBody);
    lines.push('scenario                              rps       p50 ms  p99 ms  errors');
    for (const r of [noop, profile]) {
      lines.push(
        `${r.name.padEnd(36)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)}`,
      );
    }
    lines.push(
      `\nratio GetProfile/GetJwks: rps ${(profile.rps / noop.rps).toFixed(3)} (goal ≥ 0.7)`,
    );
  }

  // 2. GetRelationships for 100 users: the latency of one call, from a lean client in a child
  //    process, callers taking turns one call at a time (the per-user limit stays clear).
  if (wanted('relationships')) {
    const body = toBinary(
      GetRelationshipsRequestSchema,
      create(GetRelationshipsRequestSchema, { userIds: users.slice(0, 100).map((u) => u.userId) }),
    );
    const callers = users.slice(100, 240).map((caller) => ({
      headers: {
        'content-type': 'application/proto',
        authorization: `Bearer ${caller.accessToken}`,
        'x-forwarded-for': freshIp(),
      },
      body,
    }));
    const { p50, p99 } = await timeFromChild({
      url: `${setup.userUrl}/${UserService.typeName}/GetRelationships`,
      requests: callers,
      count: 600,
      warmup: 60,
    });
    lines.push(
      `GetRelationships, 100 ids, 600 calls: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms (goal p99 ≤ 5 ms)`,
    );
  }

  // 3. Follow → notification at an offered rate: every follow a new pair. The follows leave a
  //    lean client in a child process on schedule; the consumer here notes each notification
  //    on the clock both processes share.
  if (wanted('follow')) {
    const clock = () => performance.timeOrigin + performance.now();
    const seen = new Map<string, number>();
    const consumer = await setup.consumeUserEvents('bench-follow-latency', (data) => {
      const { payload } = decodeEvent(data);
      if (payload.case !== 'userNotificationCreated') return;
      const n = payload.value;
      if (n.notificationType !== NotificationType.FOLLOW) return;
      seen.set(`${n.actorId}>${n.recipientId}`, clock());
    });
    const followUrl = `${setup.userUrl}/${UserService.typeName}/Follow`;
    /** `total` follows at `rate` per second, user i following user i + offset(i). */
    const followAtRate = async (total: number, rate: number, offset: (i: number) => number) => {
      const pairs: string[] = [];
      const requests = [];
      for (let i = 0; i < total; i++) {
        const follower = users[i % USERS]!;
        const followee = users[(i + offset(i)) % USERS]!;
        if (follower.userId === followee.userId) continue;
        pairs.push(`${follower.userId}>${followee.userId}`);
        requests.push({
          headers: {
            'content-type': 'application/proto',
            authorization: `Bearer ${follower.accessToken}`,
            'x-forwarded-for': freshIp(),
          },
          body: toBinary(
            FollowRequestSchema,
            create(FollowRequestSchema, { userId: followee.userId }),
          ),
        });
      }
      const sent = await paceFromChild({ url: followUrl, requests, rate });
      const failures = sent.flatMap((r) => (r.status === 200 ? [] : [`HTTP ${r.status}`]));
      const latencies = () =>
        pairs.flatMap((pair, i) => {
          const at = seen.get(pair);
          return at === undefined ? [] : [at - sent[i]!.sentAt];
        });
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        if (latencies().length >= pairs.length - failures.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const answered = sent.map((r) => r.doneAt - r.sentAt).sort((a, b) => a - b);
      return {
        follows: pairs.length,
        failures,
        latencies: latencies().sort((a, b) => a - b),
        answered,
      };
    };
    // Warm-up on pairs the measured run never uses (its offsets stay below USERS / 2): the
    // first calls of each code path compile it, and the consumer is created and caught up.
    await followAtRate(40, 20, () => USERS / 2);
    await setup.settle();
    const { follows, failures, latencies, answered } = await followAtRate(
      followRate * duration,
      followRate,
      (i) => 1 + Math.floor(i / USERS),
    );
    await consumer.stop();
    lines.push(
      `Follow answered at ${followRate}/s offered: p50 ${fmt(percentile(answered, 50))} ms, p99 ${fmt(percentile(answered, 99))} ms`,
      `Follow → notification_created at ${followRate}/s offered, ${follows} follows (${failures.length} failed), ${latencies.length} seen: p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms (goal p99 ≤ 50 ms)`,
    );
    const reasons = new Map<string, number>();
    for (const f of failures) reasons.set(f, (reasons.get(f) ?? 0) + 1);
    for (const [reason, n] of reasons) lines.push(`  ${n} × ${reason.slice(0, 160)}`);
  }
  return lines;
}

const report: string[] = [];
for (const mode of modes) {
  const setup = await setupFor(mode);
  try {
    report.push(...(await measure(setup)));
  } finally {
    await setup.stop();
  }
}
console.log(report.join('\n'));
