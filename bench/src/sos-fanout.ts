// SOS fan-out end to end, through the realtime gateway: one circle of 51 people, each with a
// socket on the gateway subscribed to what a signed-in client holds ("user" and
// "notifications"); one member raises an SOS and the other 50 are alerted at once (nobody is a
// primary contact, so the ladder's circle step is T+0). Per SOS: from just before RaiseSos is
// sent to the moment the 50th alerted member's socket received it (p50 / p99 over `--raises`
// SOS after 10 not counted (WARMUPS), each resolved as a false alarm and the system left to settle before
// the next), beside every member's own latency and the RaiseSos answer. Owners rotate over the 51 (RaiseSos
// allows 3 an hour per owner; no one has a cancel PIN, so the owner may resolve).
//
// "The member's socket got the SOS" = the first event frame naming the incident on any topic
// the member holds. An alerted member cannot hold "responders:<id>" before learning the id, so
// that frame is the IncidentAlert (ack_required) on "user", which the gateway builds from
// support.alert_raised itself (realtime.proto's table, ADR 0029). The path: support's RaiseSos
// → outbox → bus → gateway frame store (numbered in the replay log) → live fan-out → socket.
// The SOS NotificationEvent on "notifications" (the user service's user.notification_created
// for the same event: one more transaction, outbox and bus hop) is timed beside it, as each
// member's inbox entry. The sockets Ack alerts as a client does (a delivery receipt to
// support), after the arrival is recorded.
//
// The sockets and the RPC clients live in a child process of their own (this file again, as the
// driver): in embedded mode the whole of Kith runs in this process, and clients sharing its
// event loop would skew the figure both ways. Start and arrival times are both taken there.
// Sockets use binary frames (kith.v1.proto), RPCs the SDKs' binary Connect.
//   pnpm bench:sos [-- --mode embedded|distributed|both --raises 30]
// Embedded: auth, user, circle, support and the gateway in one process (PGlite, the local bus,
// the in-memory replay log). Distributed: each of them its own process (user-setups.ts), over
// Postgres, NATS JetStream (the replay log in KITH_REALTIME) and Redis; it needs DATABASE_URL,
// NATS_URL and REDIS_URL (the local defaults otherwise) and deletes the KITH_EVENTS stream of
// that NATS first (user-setups.ts says why).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { ClientFrameSchema, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { ResolutionKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { WebSocket } from 'ws';
import { benchArgs } from './args.js';
import { latencyStats } from './percentile.js';
import { benchTransport, setupFor } from './user-setups.js';
import type { BenchUser, Setup } from './user-setups.js';

/** 1 owner + 50 alerted members, as the figure says. */
const PEOPLE = 51;
/**
 * SOS raised (and resolved) before those measured, by default: the first runs of the path in
 * fresh processes (unoptimised code, statements not yet prepared on the pooled connections)
 * took 50–120 ms where the later ones took 30–40.
 */
const WARMUPS = 10;
/** How long one SOS may take to reach every member before it counts as not delivered. */
const DELIVERY_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// What the two processes say to each other.

interface DriverStart {
  start: {
    gatewayUrl: string;
    supportUrl: string;
    circleId: string;
    people: (BenchUser & { ip: string })[];
    raises: number;
    /** SOS raised first and not counted (the processes' first runs of this path). */
    warmups: number;
  };
}
type ToDriver = DriverStart | { settled: true };
interface Results {
  /** Per SOS: RaiseSos sent → answer. */
  rpc: number[];
  /** Per SOS: RaiseSos sent → the first / the last alerted member's socket got it. */
  first: number[];
  last: number[];
  /** Per member and SOS: RaiseSos sent → that member's socket got it. */
  each: number[];
  /**
   * Where the time goes, on the servers' wall clock (same machine): per SOS, RaiseSos sent →
   * the incident's created_at (the time support took at the request's start), → the alert's
   * event (the IncidentAlert's occurred_at: support.alert_raised written in RaiseSos's
   * transaction, before its commit); per member, that → the socket got it (commit, outbox, bus,
   * gateway frame store, fan-out).
   */
  toIncident: number[];
  toAlertEvent: number[];
  alertEventToSocket: number[];
  /** Per member and SOS: RaiseSos sent → that member's socket got the SOS NotificationEvent. */
  notification: number[];
  /** SOS not on every alerted member's socket within DELIVERY_TIMEOUT_MS, and how many short. */
  incomplete: { incidentId: string; missing: number }[];
  /** Frames naming an incident that reached its own owner's sockets (expected 0). */
  toOwner: number;
}
type FromDriver = { ready: true } | { settle: true } | { results: Results };

// ---------------------------------------------------------------------------------------------
// The driver: sockets and RPC clients, in a process of their own.

/** The incident an event frame names, if any (on the topics a member holds before an SOS). */
function incidentOf(frame: ServerFrame): string | undefined {
  const p = frame.payload;
  switch (p.case) {
    case 'notification':
      return p.value.subject?.kind.case === 'incidentId' ? p.value.subject.kind.value : undefined;
    case 'checkIn':
      return p.value.incidentId || undefined;
    case 'incident':
    case 'incidentResponder':
    case 'incidentAlert':
      return p.value.incidentId;
    default:
      return undefined;
  }
}

async function drive(): Promise<void> {
  const send = (m: FromDriver) => process.send!(m);
  let settled: (() => void) | undefined;
  const start = await new Promise<DriverStart['start']>((resolve) =>
    process.on('message', (m: ToDriver) => {
      if ('start' in m) resolve(m.start);
      else settled?.();
    }),
  );
  const settle = () => {
    const done = new Promise<void>((resolve) => (settled = resolve));
    send({ settle: true });
    return done;
  };

  // incident → user → when that user's socket first got a frame naming it (and which), and
  // when it got the incident's NotificationEvent.
  interface Arrival {
    at: number;
    occurredAt: number;
    type: string;
    notificationAt?: number;
  }
  const arrivals = new Map<string, Map<string, Arrival>>();
  const sockets: WebSocket[] = [];
  const encode = (frame: MessageInitShape<typeof ClientFrameSchema>) =>
    toBinary(ClientFrameSchema, create(ClientFrameSchema, frame));

  const openSocket = (person: BenchUser & { ip: string }) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${start.gatewayUrl.replace(/^http/, 'ws')}/ws`, 'kith.v1.proto', {
        headers: { authorization: `Bearer ${person.accessToken}`, 'x-forwarded-for': person.ip },
      });
      sockets.push(ws);
      let subscribed = 0;
      ws.on('message', (data: Buffer) => {
        const now = performance.now();
        const frame = fromBinary(ServerFrameSchema, data);
        const incidentId = frame.seq > 0n ? incidentOf(frame) : undefined;
        if (incidentId !== undefined) {
          let byUser = arrivals.get(incidentId);
          if (!byUser) arrivals.set(incidentId, (byUser = new Map()));
          let arrival = byUser.get(person.userId);
          if (!arrival) {
            arrival = {
              at: now,
              occurredAt: frame.occurredAt ? timestampMs(frame.occurredAt) : NaN,
              type: frame.type,
            };
            byUser.set(person.userId, arrival);
          }
          if (frame.payload.case === 'notification') arrival.notificationAt ??= now;
        }
        switch (frame.payload.case) {
          case 'hello':
            for (const [i, topic] of ['user', 'notifications'].entries()) {
              ws.send(encode({ requestId: i + 1, frame: { case: 'subscribe', value: { topic } } }));
            }
            break;
          case 'subscribed':
            if (++subscribed === 2) resolve();
            break;
          case 'error':
            reject(new Error(`socket of ${person.userId}: error ${frame.payload.value.code}`));
            break;
          case 'ping':
            ws.send(
              encode({ frame: { case: 'pong', value: { nonce: frame.payload.value.nonce } } }),
            );
            break;
          default:
            // A delivery receipt, as a client sends once it has shown the alert.
            if (frame.ackRequired) {
              ws.send(
                encode({ frame: { case: 'ack', value: { topic: frame.topic, seq: frame.seq } } }),
              );
            }
        }
      });
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`socket of ${person.userId} closed: ${code}`)));
    });
  await Promise.all(start.people.map(openSocket));
  send({ ready: true });

  const results: Results = {
    rpc: [],
    first: [],
    last: [],
    each: [],
    toIncident: [],
    toAlertEvent: [],
    alertEventToSocket: [],
    notification: [],
    incomplete: [],
    toOwner: 0,
  };
  /** performance.now() as wall-clock milliseconds (comparable with the servers' timestamps). */
  const wall = (t: number) => performance.timeOrigin + t;
  const supports = start.people.map((p) =>
    createClient(SupportService, benchTransport(start.supportUrl, p.accessToken, p.ip)),
  );
  for (let i = 0; i < start.warmups + start.raises; i++) {
    await settle();
    const k = i % start.people.length;
    const owner = start.people[k]!;
    const alerted = start.people.length - 1;
    const sent = performance.now();
    const { incident } = await supports[k]!.raiseSos({
      circleIds: [start.circleId],
      message: 'bench',
    });
    if (i >= start.warmups) results.rpc.push(performance.now() - sent);
    const incidentId = incident!.incidentId;
    // Every member's socket got the SOS, and then its notification.
    const reached = (what: (a: Arrival) => boolean) =>
      [...(arrivals.get(incidentId) ?? [])].filter(([u, a]) => u !== owner.userId && what(a))
        .length;
    const deadline = sent + DELIVERY_TIMEOUT_MS;
    for (const what of [() => true, (a: Arrival) => a.notificationAt !== undefined]) {
      while (reached(what) < alerted && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    if (i < start.warmups) {
      await supports[k]!.resolve({ incidentId, kind: ResolutionKind.FALSE_ALARM, reason: 'bench' });
      continue;
    }
    const byUser = arrivals.get(incidentId) ?? new Map<string, Arrival>();
    if (byUser.has(owner.userId)) results.toOwner += 1;
    const got = [...byUser].filter(([u]) => u !== owner.userId).map(([, a]) => a);
    const times = got.map((a) => a.at - sent);
    results.each.push(...times);
    results.toIncident.push(timestampMs(incident!.createdAt!) - wall(sent));
    const alerts = got.filter((a) => a.type === 'incident_alert');
    if (alerts.length) {
      results.toAlertEvent.push(alerts[0]!.occurredAt - wall(sent));
      results.alertEventToSocket.push(...alerts.map((a) => wall(a.at) - a.occurredAt));
    }
    results.notification.push(
      ...got.flatMap((a) => (a.notificationAt === undefined ? [] : [a.notificationAt - sent])),
    );
    if (times.length < alerted) {
      results.incomplete.push({ incidentId, missing: alerted - times.length });
    } else {
      results.first.push(Math.min(...times));
      results.last.push(Math.max(...times));
    }
    await supports[k]!.resolve({
      incidentId,
      kind: ResolutionKind.FALSE_ALARM,
      reason: 'bench',
    });
  }
  for (const ws of sockets) {
    ws.removeAllListeners('close');
    ws.terminate();
  }
  await new Promise((resolve) => process.send!({ results } satisfies FromDriver, resolve));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The bench: Kith, the people and their circle; the driver measures.

const stats = latencyStats;
const fmt = (ms: number) => ms.toFixed(2).padStart(9);

async function measure(kith: Setup, raises: number): Promise<{ lines: string[]; p99: number }> {
  const people: (BenchUser & { ip: string })[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const ip = `10.9.${Math.floor(i / 200) + 1}.${i % 200}`;
    people.push({ ...(await kith.signUp(ip)), ip });
  }
  await kith.settle();
  const circlesAs = (p: (typeof people)[number]) =>
    createClient(CircleService, benchTransport(kith.urlOf('circle'), p.accessToken, p.ip));
  const founder = circlesAs(people[0]!);
  const { circle } = await founder.createCircle({
    name: 'SOS bench',
    joinRule: JoinRule.INVITE_ONLY,
    // 50 by default: the owner and 50 others need 51.
    memberCap: PEOPLE,
  });
  const circleId = circle!.circleId;
  const { inviteLink } = await founder.createInviteLink({ circleId });
  for (const p of people.slice(1)) await circlesAs(p).joinByLink({ code: inviteLink!.code });
  await kith.settle();

  const driver = fork(new URL(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SOS_FANOUT_DRIVER: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const results = await new Promise<Results>((resolve, reject) => {
    driver.on('message', (m: FromDriver) => {
      if ('settle' in m) {
        kith.settle().then(() => driver.send({ settled: true } satisfies ToDriver), reject);
      } else if ('results' in m) {
        resolve(m.results);
      }
    });
    driver.once('exit', (code) => reject(new Error(`the driver exited (${code})`)));
    driver.send({
      start: {
        gatewayUrl: kith.urlOf('gateway'),
        supportUrl: kith.urlOf('support'),
        circleId,
        people,
        raises,
        warmups: WARMUPS,
      },
    } satisfies ToDriver);
  });
  driver.removeAllListeners('exit');
  if (driver.exitCode === null) await once(driver, 'exit');

  const alerted = PEOPLE - 1;
  const last = stats(`SOS → all ${alerted} members' sockets`, results.last);
  const rows = [
    stats('RaiseSos answered', results.rpc),
    stats('SOS → first member socket', results.first),
    last,
    stats('SOS → each member socket', results.each),
    stats('  sent → created_at (request)', results.toIncident),
    stats('  sent → alert event written', results.toAlertEvent),
    stats('  alert event → socket', results.alertEventToSocket),
    stats('SOS → each member notification', results.notification),
  ];
  const lines = [
    `\n${kith.mode}: ${raises} SOS after ${WARMUPS} not counted, ${alerted} alerted members each (sockets on "user" + "notifications")`,
    'scenario                               n      p50 ms    p99 ms    max ms',
    ...rows.map(
      (r) =>
        `${r.name.padEnd(34)} ${String(r.n).padStart(5)} ${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.max)}`,
    ),
  ];
  if (results.incomplete.length) {
    lines.push(
      `NOT DELIVERED within ${DELIVERY_TIMEOUT_MS / 1000} s: ${results.incomplete
        .map((x) => `${x.incidentId} (${x.missing} members short)`)
        .join(', ')}`,
    );
  }
  if (results.toOwner)
    lines.push(`frames naming the incident on its owner's sockets: ${results.toOwner}`);
  // An SOS that missed anyone fails the figure whatever the percentiles say.
  return { lines, p99: results.incomplete.length ? Infinity : last.p99 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      mode: { type: 'string', default: 'both' },
      raises: { type: 'string', default: '30' },
    },
  });
  const raises = Number(values.raises);
  // Each owner may raise 3 an hour.
  if (!(raises >= 1 && raises <= PEOPLE * 3 - WARMUPS)) {
    throw new Error(`--raises is 1..${PEOPLE * 3 - WARMUPS}`);
  }
  const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
  if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
    throw new Error('--mode is embedded, distributed or both');
  }
  const report: string[] = [];
  const verdicts: string[] = [];
  for (const mode of modes) {
    const services = ['circle', 'support', 'gateway'] as const;
    const kith = await setupFor(mode, services);
    try {
      const { lines, p99 } = await measure(kith, raises);
      report.push(...lines);
      verdicts.push(`${mode} ${p99.toFixed(1)} ms ${p99 <= 50 ? 'met' : 'MISSED'}`);
    } finally {
      await kith.stop();
    }
  }
  report.push(
    `\ngoal: SOS raised → 50 circle members' sockets p99 ≤ 50 ms end to end (with the realtime gateway): ${verdicts.join('; ')}`,
  );
  console.log(report.join('\n'));
}

if (process.env.SOS_FANOUT_DRIVER === '1') await drive();
else await main();
