// Circle service costs, in embedded mode (one process, PGlite, the local bus) and in distributed
// mode (auth, user and circle as their own processes over Postgres, NATS JetStream and Redis),
// each p50 / p99 of one call at a time, in binary, after a warm-up, beside GetJwks (the trivial
// public read) timed the same way in the same run:
// 1. ListMyCircles for a member of 50 circles, all on one page; and, as the floor under it, the
//    same answer's bytes from a bare node:http server in a process of its own.
// 2. GetCircle by a member: the membership check every circle RPC starts with, and the view.
// 3. The membership check other services make (post, support, the gateway): from the in-memory
//    view of @kith/runtime circleMemberships (loaded, then kept by events), beside asking the
//    circle service each time (CircleInternalService.GetMemberships over the bus).
//   pnpm bench:circle [-- --mode embedded|distributed|both --calls 600 --checks 100000]
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise) and
// deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import { parseArgs } from 'node:util';
import { createClient } from '@connectrpc/connect';
import { create, toBinary } from '@bufbuild/protobuf';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import {
  CircleService,
  GetCircleRequestSchema,
  ListMyCirclesRequestSchema,
} from '@kith/gen/kith/circle/v1/circle_pb.js';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { createRootLogger } from '@kith/logging';
import { circleMemberships, internalClient } from '@kith/runtime';
import { benchArgs } from './args.js';
import { bareServerFromChild, timeFromChild } from './load.js';
import { percentile } from './percentile.js';
import { benchTransport, setupFor } from './user-setups.js';
import type { BenchUser, Setup } from './user-setups.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    mode: { type: 'string', default: 'both' },
    calls: { type: 'string', default: '600' },
    checks: { type: 'string', default: '100000' },
  },
});
const calls = Number(values.calls);
const checks = Number(values.checks);
const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
  throw new Error('--mode is embedded, distributed or both');
}

/** p50 and p99 of `count` calls of `call`, one at a time, after a warm-up. */
async function time(name: string, count: number, call: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(1000, Math.max(50, count / 100)); i++) await call();
  const timings = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call();
    timings[i] = performance.now() - start;
  }
  timings.sort();
  return { name, p50: percentile(timings, 50), p99: percentile(timings, 99) };
}

async function measure(setup: Setup): Promise<string[]> {
  /** A client of `token` from its own address (the per-user and per-address limits apply). */
  const transportOf = benchTransport;
  const circlesAs = (token: string, ip: string) =>
    createClient(CircleService, transportOf(setup.urlOf('circle'), token, ip));

  // One owner makes 50 circles; four readers join all of them by link, and the calls rotate
  // over the readers so no per-user limit is reached.
  const owner = await setup.signUp('10.9.1.1');
  const readerAccounts: BenchUser[] = [];
  for (let r = 0; r < 4; r++) readerAccounts.push(await setup.signUp(`10.9.2.${r}`));
  // Circle learns of the accounts from user.profile_updated.
  await setup.settle();
  const ownerCircles = circlesAs(owner.accessToken, '10.9.1.1');
  const ids: string[] = [];
  const codes: string[] = [];
  for (let i = 0; i < 50; i++) {
    const { circle } = await ownerCircles.createCircle({
      name: `Circle ${i}`,
      joinRule: JoinRule.INVITE_ONLY,
      rules: [{ title: 'Be kind', body: 'Rules are left out of the list.' }],
    });
    ids.push(circle!.circleId);
    const { inviteLink } = await ownerCircles.createInviteLink({ circleId: circle!.circleId });
    codes.push(inviteLink!.code);
  }
  for (const [r, account] of readerAccounts.entries()) {
    const client = circlesAs(account.accessToken, `10.9.2.${r}`);
    for (const code of codes) await client.joinByLink({ code });
  }
  await setup.settle();
  const readerClients = readerAccounts.map((account, r) =>
    circlesAs(account.accessToken, `10.9.2.${r}`),
  );
  // Each figure comes from a lean client in a child process, one call at a time: the bench
  // process's own garbage collection (scavenges of 5-20 ms here) would otherwise be in the tail.
  const headersOf = (token: string, ip: string) => ({
    'content-type': 'application/proto',
    'x-forwarded-for': ip,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  const asReader = (r: number) => headersOf(readerAccounts[r]!.accessToken, `10.9.2.${r}`);
  const rpc = (service: 'auth' | 'circle', method: string) =>
    `${setup.urlOf(service)}/${service === 'auth' ? AuthService.typeName : CircleService.typeName}/${method}`;
  const timed = async (
    name: string,
    url: string,
    requests: { headers: Record<string, string>; body: Uint8Array }[],
  ) => ({
    name,
    ...(await timeFromChild({ url, requests, count: calls, warmup: Math.max(50, calls / 10) })),
  });
  // The lists really hold 50 circles (the child checks only the status).
  for (const client of readerClients) {
    const { circles: listed } = await client.listMyCircles({ pageSize: 50 });
    if (listed.length !== 50) throw new Error(`listed ${listed.length} circles`);
  }
  const listBody = toBinary(
    ListMyCirclesRequestSchema,
    create(ListMyCirclesRequestSchema, { pageSize: 50 }),
  );
  const rows = [
    // From 100 addresses: the per-address limit stays clear however many calls are asked for.
    await timed(
      'GetJwks (trivial public read)',
      rpc('auth', 'GetJwks'),
      Array.from({ length: 100 }, (_, i) => ({
        headers: headersOf('', `10.9.3.${i}`),
        body: new Uint8Array(),
      })),
    ),
    await timed(
      'ListMyCircles, 50 circles',
      rpc('circle', 'ListMyCircles'),
      readerAccounts.map((_, r) => ({ headers: asReader(r), body: listBody })),
    ),
    // Reader by reader, circle by circle: every (reader, circle) pair once in 200 calls.
    // The floor: the same answer's bytes from a bare node:http server, timed the same way.
    await (async () => {
      const answer = await fetch(rpc('circle', 'ListMyCircles'), {
        method: 'POST',
        headers: asReader(0),
        body: listBody,
      });
      const bare = await bareServerFromChild(
        new Uint8Array(await answer.arrayBuffer()),
        'application/proto',
      );
      try {
        return await timed('bare node:http, the same answer', bare.url, [
          { headers: { 'content-type': 'application/proto' }, body: listBody },
        ]);
      } finally {
        await bare.stop();
      }
    })(),
    await timed(
      'GetCircle as a member',
      rpc('circle', 'GetCircle'),
      ids.flatMap((circleId) =>
        readerAccounts.map((_, r) => ({
          headers: asReader(r),
          body: toBinary(GetCircleRequestSchema, create(GetCircleRequestSchema, { circleId })),
        })),
      ),
    ),
  ];

  // The membership check: each one a (circle, reader) pair of the 50 circles and four readers.
  const internal = internalClient(setup.bus, CircleInternalService);
  const view = circleMemberships({
    bus: setup.bus,
    circles: internal,
    logger: createRootLogger({ level: 'silent' }),
  });
  const readerIds = readerAccounts.map((a) => a.userId);
  for (const id of ids) await view.roleOf(id, readerIds[0]!); // loaded once per circle
  let n = 0;
  const pair = () => {
    n += 1;
    return [ids[n % ids.length]!, readerIds[n % readerIds.length]!] as const;
  };
  const checkRows = [
    await time('view.roleOf (in-memory view)', checks, async () => {
      const [circleId, userId] = pair();
      if ((await view.roleOf(circleId, userId)) === undefined) throw new Error('not a member');
    }),
    await time('GetMemberships (request/reply)', calls, async () => {
      const [circleId, userId] = pair();
      const { memberships } = await internal.getMemberships({ userId, circleIds: [circleId] });
      if (memberships.length !== 1) throw new Error('not a member');
    }),
  ];
  view.stop();

  const fmt = (x: number) => x.toFixed(2).padStart(8);
  const [fromView, asked] = checkRows as [(typeof checkRows)[0], (typeof checkRows)[0]];
  return [
    `\n${setup.mode}, ${calls} calls each, one at a time, Node ${process.version}\n`,
    'scenario                                p50 ms    p99 ms',
    ...rows.map((r) => `${r.name.padEnd(36)} ${fmt(r.p50)}  ${fmt(r.p99)}`),
    `\nmembership check, one at a time (${checks} from the view, ${calls} asked)\n`,
    'scenario                                p50 µs    p99 µs',
    ...checkRows.map((r) => `${r.name.padEnd(36)} ${fmt(r.p50 * 1000)}  ${fmt(r.p99 * 1000)}`),
    `ratio asked / view at p99: ${(asked.p99 / fromView.p99).toFixed(0)}×`,
  ];
}

const report: string[] = [];
for (const mode of modes) {
  const setup = await setupFor(mode, ['circle']);
  try {
    report.push(...(await measure(setup)));
  } finally {
    await setup.stop();
  }
}
report.push(
  '\ngoals: ListMyCircles p99 ≤ 5 ms for a member of 50 circles;',
  '       a membership check p99 ≤ 0.1 ms (100 µs) from a local projection',
);
console.log(report.join('\n'));
