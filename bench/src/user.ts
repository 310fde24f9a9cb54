// User service costs side by side in one run, in one embedded process (PGlite, the local bus):
// 1. GetProfile of one user (its cached path) against the trivial public read (GetJwks), under
//    the same load generator: the ratio is what the profile costs over the RPC itself.
// 2. GetRelationships for 100 users: p50 / p99 from 4 callers in parallel.
// 3. Follow → the followee's notification, at an offered 200 follows per second: from the
//    Follow request leaving the client to user.notification_created reaching a bus consumer
//    (where the gateway and the push worker take it).
//   pnpm bench:user [-- --duration 5 --connections 32]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from '@connectrpc/connect';
import { decodeEvent } from '@kith/bus';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { startAuthHarness } from '@kith/auth-service/testing';
import type { TestUser } from '@kith/auth-service/testing';
import { userModule } from '@kith/user-service';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '200' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const followRate = Number(values.rate);

// Real time: the latencies below are wall-clock.
const clock = { now: () => new Date(), advance() {}, set() {} };
const h = await startAuthHarness({ modules: [userModule], clock });
let ipCounter = 0;
/** Every request from its own address, so the per-address limits stay out of the figures. */
const freshIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

// Real sign-ups (register, the mailed link, login), so profiles come from auth's events.
const USERS = 240;
const users: TestUser[] = [];
for (let i = 0; i < USERS; i += 20) {
  users.push(...(await Promise.all(Array.from({ length: 20 }, () => h.signUp({ ip: freshIp() })))));
}
const client = (token: string) =>
  createClient(UserService, h.as(token, { 'x-forwarded-for': freshIp() }).transport);
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

async function load(name: string, path: string, body: string) {
  const result = await autocannon({
    url: `${h.url}${path}`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        body,
        setupRequest: (req) => ({
          ...req,
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            'x-forwarded-for': freshIp(),
          },
        }),
      },
    ],
  });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

try {
  // 1. The trivial read and GetProfile, warmed up, then measured one after the other.
  const target = users[0]!.userId;
  const profileBody = JSON.stringify({ userId: target });
  await load('warmup', '/kith.auth.v1.AuthService/GetJwks', '{}');
  await load('warmup', '/kith.user.v1.UserService/GetProfile', profileBody);
  const noop = await load(
    'GetJwks (trivial public read)',
    '/kith.auth.v1.AuthService/GetJwks',
    '{}',
  );
  const profile = await load(
    'GetProfile (cached)',
    '/kith.user.v1.UserService/GetProfile',
    profileBody,
  );

  // 2. GetRelationships for 100 users, callers taking turns (the per-user limit stays clear).
  const ids = users.slice(0, 100).map((u) => u.userId);
  const timings: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, worker) => {
      for (let i = 0; i < 150; i++) {
        const caller = users[100 + ((worker * 150 + i) % 140)]!;
        const start = performance.now();
        await client(caller.accessToken).getRelationships({ userIds: ids });
        timings.push(performance.now() - start);
      }
    }),
  );
  timings.sort((a, b) => a - b);

  // 3. Follow → notification at an offered rate: every follow a new pair.
  const bus = h.kith.contexts.get('user')!.bus;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const consumer = await bus.consume({
    durable: 'bench-follow-latency',
    subjects: 'kith.events.user.>',
    async handler(message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userNotificationCreated') return;
      const n = payload.value;
      if (n.notificationType !== NotificationType.FOLLOW) return;
      const started = sentAt.get(`${n.actorId}>${n.recipientId}`);
      if (started !== undefined) latencies.push(performance.now() - started);
    },
  });
  const follows: Promise<unknown>[] = [];
  const total = followRate * duration;
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / followRate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const follower = users[i % USERS]!;
    const followee = users[(i + 1 + Math.floor(i / USERS)) % USERS]!;
    if (follower.userId === followee.userId) continue;
    sentAt.set(`${follower.userId}>${followee.userId}`, performance.now());
    follows.push(client(follower.accessToken).follow({ userId: followee.userId }));
  }
  const outcomes = await Promise.allSettled(follows);
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  for (const deadline = Date.now() + 30_000; latencies.length < follows.length - failed;) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await consumer.stop();
  latencies.sort((a, b) => a - b);

  const fmt = (n: number) => n.toFixed(1).padStart(8);
  console.log(`\n${connections} connections, ${duration}s each, Node ${process.version}\n`);
  console.log('scenario                              rps       p50 ms  p99 ms  errors');
  for (const r of [noop, profile]) {
    console.log(
      `${r.name.padEnd(36)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)}`,
    );
  }
  console.log(
    `\nratio GetProfile/GetJwks: rps ${(profile.rps / noop.rps).toFixed(3)} (goal ≥ 0.7)`,
  );
  console.log(
    `GetRelationships, 100 ids, ${timings.length} calls: p50 ${fmt(percentile(timings, 50))} ms, p99 ${fmt(percentile(timings, 99))} ms (goal p99 ≤ 5 ms)`,
  );
  console.log(
    `Follow → notification_created at ${followRate}/s offered, ${follows.length} follows (${failed} failed), ${latencies.length} seen: p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms (goal p99 ≤ 50 ms)`,
  );
} finally {
  await h.stop();
}
