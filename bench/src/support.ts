// Support service costs, in embedded mode (one process, PGlite, the local bus) and in distributed
// mode (auth, user, circle and support as their own processes over Postgres, NATS JetStream and
// Redis), in one run:
// 1. RaiseSos, one at a time (each SOS resolved before the next, untimed), p50 / p99, beside
//    GetJwks (the trivial public read) timed the same way.
// 2. RaiseSos → the first alerted member's notification created at the user service (where its
//    push is enqueued in the same transaction), from the call's start to the event on the bus.
// 3. How late escalation ladder steps fire after they are due: SOS raised at once by several
//    members, each with a ladder of the circle at once, then three emergency-services prompts
//    one second apart; lateness read from the timeline (the server's clock on both sides).
//   pnpm bench:support [-- --mode embedded|distributed|both --raises 60 --ladders 10]
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise) and
// deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import { parseArgs } from 'node:util';
import { fromBinary } from '@bufbuild/protobuf';
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { EscalationTarget, ResolutionKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { benchArgs } from './args.js';
import { latencyStats } from './percentile.js';
import { benchTransport, setupFor } from './user-setups.js';
import type { BenchUser, Setup } from './user-setups.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    mode: { type: 'string', default: 'both' },
    raises: { type: 'string', default: '60' },
    ladders: { type: 'string', default: '10' },
  },
});
const raises = Number(values.raises);
const ladders = Number(values.ladders);
const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
  throw new Error('--mode is embedded, distributed or both');
}

const stats = latencyStats;
const fmt = (ms: number) => ms.toFixed(2).padStart(9);

async function measure(setup: Setup): Promise<string[]> {
  const transportOf = benchTransport;
  const supportAs = (u: BenchUser, ip: string) =>
    createClient(SupportService, transportOf(setup.urlOf('support'), u.accessToken, ip));

  // One circle of 12 plus the ladder scenario's owners; SOS are raised in turn by the 12 (3 per
  // hour each is the limit), each alerting every other member at once (nobody is a primary
  // contact, so the circle step follows at once).
  const members: BenchUser[] = [];
  for (let i = 0; i < 12; i++) members.push(await setup.signUp(`10.8.1.${i}`));
  // Owners of the ladder scenario, signed up first: nothing may settle() after scenario 1's
  // consumer stops (its durable would count as a backlog for ever).
  const laddered: BenchUser[] = [];
  for (let i = 0; i < ladders; i++) laddered.push(await setup.signUp(`10.8.2.${i}`));
  await setup.settle();
  const circles = createClient(
    CircleService,
    transportOf(setup.urlOf('circle'), members[0]!.accessToken, '10.8.1.0'),
  );
  const { circle } = await circles.createCircle({ name: 'Bench', joinRule: JoinRule.INVITE_ONLY });
  const circleId = circle!.circleId;
  const { inviteLink } = await circles.createInviteLink({ circleId });
  const joiners = [
    ...members.slice(1).map((m, i) => [m, `10.8.1.${i + 1}`] as const),
    ...laddered.map((m, i) => [m, `10.8.2.${i}`] as const),
  ];
  for (const [m, ip] of joiners) {
    const client = createClient(
      CircleService,
      transportOf(setup.urlOf('circle'), m.accessToken, ip),
    );
    await client.joinByLink({ code: inviteLink!.code });
  }
  await setup.settle();
  const supports = members.map((m, i) => supportAs(m, `10.8.1.${i}`));

  // 1 and 2: RaiseSos, and the first notification it causes.
  const notified = new Map<string, number>();
  const consumer = await setup.consumeUserEvents(`bench-support-${Date.now()}`, (data) => {
    const { payload } = fromBinary(EnvelopeSchema, data);
    if (payload.case !== 'userNotificationCreated') return;
    const subject = payload.value.subject?.kind;
    if (subject?.case !== 'incidentId') return;
    if (!notified.has(subject.value)) notified.set(subject.value, performance.now());
  });
  const auth = createClient(AuthService, transportOf(setup.authUrl, '', '10.8.9.1'));
  const jwks: number[] = [];
  const raise: number[] = [];
  const toNotification: number[] = [];
  const count = Math.min(raises, members.length * 3);
  for (let i = 0; i < count; i++) {
    const owner = supports[i % supports.length]!;
    let start = performance.now();
    await auth.getJwks({});
    jwks.push(performance.now() - start);
    start = performance.now();
    const { incident } = await owner.raiseSos({ circleIds: [circleId], message: 'bench' });
    raise.push(performance.now() - start);
    const id = incident!.incidentId;
    const deadline = performance.now() + 10_000;
    while (!notified.has(id) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
    }
    if (notified.has(id)) toNotification.push(notified.get(id)! - start);
    await owner.resolve({ incidentId: id, kind: ResolutionKind.FALSE_ALARM, reason: 'bench' });
  }
  await consumer.stop();

  // 3: ladder steps one second apart; lateness of steps 1..3 against their due time.
  const step = (after: number) => ({
    after: durationFromMs(after),
    target: EscalationTarget.EMERGENCY_SERVICES_PROMPT,
  });
  const ladderClients = laddered.map((u, i) => supportAs(u, `10.8.2.${i}`));
  for (const client of ladderClients) {
    await client.updateEscalationLadder({
      ladder: {
        steps: [
          { after: durationFromMs(0), target: EscalationTarget.INCIDENT_CIRCLES },
          step(1000),
          step(2000),
          step(3000),
        ],
      },
    });
  }
  const opened = await Promise.all(ladderClients.map((c) => c.raiseSos({ circleIds: [circleId] })));
  await new Promise((r) => setTimeout(r, 4500));
  const lateness: number[] = [];
  for (const [i, client] of ladderClients.entries()) {
    const incident = opened[i]!.incident!;
    const created = timestampMs(incident.createdAt!);
    const { entries } = await client.getIncidentTimeline({
      incidentId: incident.incidentId,
      pageSize: 100,
    });
    for (const e of entries) {
      if (e.event.case !== 'escalated' || e.event.value.step === 0) continue;
      lateness.push(timestampMs(e.occurredAt!) - (created + e.event.value.step * 1000));
    }
    await client.resolve({
      incidentId: incident.incidentId,
      kind: ResolutionKind.FALSE_ALARM,
      reason: 'bench',
    });
  }

  const rows = [
    stats('GetJwks (trivial public read)', jwks),
    stats(`RaiseSos (${members.length + laddered.length - 1} alerted at once)`, raise),
    stats('RaiseSos → notification created', toNotification),
    stats('ladder step fired after due', lateness),
  ];
  return [
    `\n${setup.mode}`,
    'scenario                              n      p50 ms    p99 ms',
    ...rows.map(
      (r) => `${r.name.padEnd(34)} ${String(r.n).padStart(4)} ${fmt(r.p50)} ${fmt(r.p99)}`,
    ),
  ];
}

const report: string[] = [];
for (const mode of modes) {
  const extra = ['circle', 'support'] as const;
  const setup = await setupFor(mode, extra);
  try {
    report.push(...(await measure(setup)));
  } finally {
    await setup.stop();
  }
}
report.push(
  '\ngoals: RaiseSos → push enqueued p99 ≤ 200 ms; a ladder step fires ≤ 1 s after it is due',
);
console.log(report.join('\n'));
