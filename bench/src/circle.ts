// Circle service costs in embedded mode (one process, PGlite, the local bus), each p50 / p99 of
// one call at a time, in binary, after a warm-up, beside GetJwks (the trivial public read) timed
// the same way in the same run:
// 1. ListMyCircles for a member of 50 circles, all on one page.
// 2. GetCircle by a member: the membership check every circle RPC starts with, and the view.
//   pnpm bench:circle [-- --calls 600]
import { parseArgs } from 'node:util';
import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { startAuthHarness } from '@kith/auth-service/testing';
import { circleModule } from '@kith/circle-service';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { benchArgs } from './args.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: { calls: { type: 'string', default: '600' } },
});
const calls = Number(values.calls);

// Real time: the latencies are wall-clock.
const clock = { now: () => new Date(), advance() {}, set() {} };
const h = await startAuthHarness({ modules: [circleModule], clock });
try {
  /** A client of `token` from its own address (the per-user and per-address limits apply). */
  const clientOf = (token: string, ip: string) =>
    createConnectTransport({
      baseUrl: h.url,
      httpVersion: '1.1',
      // The SDKs' wire format.
      useBinaryFormat: true,
      interceptors: [
        (next) => (req) => {
          req.header.set('authorization', `Bearer ${token}`);
          req.header.set('x-forwarded-for', ip);
          return next(req);
        },
      ],
    });
  // One owner makes 50 circles; four readers join all of them by link, and the calls rotate
  // over the readers so no per-user limit is reached.
  const owner = await h.signUp();
  const ownerCircles = createClient(CircleService, clientOf(owner.accessToken, '10.9.1.1'));
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
  const readers: Client<typeof CircleService>[] = [];
  for (let r = 0; r < 4; r++) {
    const reader = await h.signUp();
    const client = createClient(CircleService, clientOf(reader.accessToken, `10.9.2.${r}`));
    for (const code of codes) await client.joinByLink({ code });
    readers.push(client);
  }
  const auth = createClient(AuthService, clientOf('', '10.9.3.1'));
  let turn = 0;
  const reader = () => readers[turn++ % readers.length]!;

  const percentile = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  async function time(name: string, call: () => Promise<unknown>) {
    for (let i = 0; i < 50; i++) await call(); // warm-up
    const timings: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await call();
      timings.push(performance.now() - start);
    }
    timings.sort((a, b) => a - b);
    return { name, p50: percentile(timings, 50), p99: percentile(timings, 99) };
  }

  const rows = [
    await time('GetJwks (trivial public read)', () => auth.getJwks({})),
    await time('ListMyCircles, 50 circles', async () => {
      const { circles: listed } = await reader().listMyCircles({ pageSize: 50 });
      if (listed.length !== 50) throw new Error(`listed ${listed.length} circles`);
    }),
    await time('GetCircle as a member', () =>
      reader().getCircle({ circleId: ids[Math.floor(Math.random() * ids.length)]! }),
    ),
  ];
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\nembedded, ${calls} calls each, one at a time, Node ${process.version}\n`);
  console.log('scenario                                p50 ms    p99 ms');
  for (const r of rows) console.log(`${r.name.padEnd(36)} ${fmt(r.p50)}  ${fmt(r.p99)}`);
  console.log('\ngoal: ListMyCircles p99 ≤ 5 ms for a member of 50 circles');
} finally {
  await h.stop();
}
