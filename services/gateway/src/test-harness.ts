import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll } from 'vitest';
import type { TestContext } from 'vitest';
import { create, fromBinary, fromJsonString, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { createMemoryTopicLog } from '@kith/bus';
import type { Bus, TopicLog } from '@kith/bus';
import { localPgliteHarness } from '@kith/bus/testing';
import type { BusHarness } from '@kith/bus/testing';
import { RESTRICTED_SCOPE } from '@kith/context';
import type { Principal } from '@kith/context';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { AccountChange, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { createRateLimiter } from '@kith/cache';
import { createRootLogger } from '@kith/logging';
import type { UpgradeHandler } from '@kith/runtime';
import { freePort, waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { createGateway } from './gateway.js';
import type { Gateway, GatewayOptions } from './gateway.js';
import { frame as routedFrame } from './routing/frame.js';
import type { Payload } from './routing/frame.js';
import { liveSubjectOf, ownTopic } from './routing/topics.js';
import type { Topic } from './routing/topics.js';
import { topicAccess } from './topic-access.js';

// Test-only helpers: a real HTTP server whose upgrades go to the gateway, and a ws client that
// records every frame it receives.

export const GOOD_TOKEN = 'header.payload.signature-of-alice';

export const alice: Principal = {
  userId: '01900000-0000-7000-8000-00000000a11c',
  sessionId: '01900000-0000-7000-8000-0000000005e5',
  role: 'user',
  via: 'access_token',
  scopes: ['*'],
  issuedAt: 1_790_000_000,
};

/** An API key's holder: scoped to some RPCs, never to the realtime socket. */
export const API_KEY = 'kith_ak_bob-panic-button';
export const bobsKey: Principal = {
  ...alice,
  sessionId: undefined,
  via: 'api_key',
  scopes: ['sos:raise'],
};

/** A suspended account's session: it reaches a few RPCs, never the realtime socket. */
export const RESTRICTED_TOKEN = 'header.payload.signature-of-suspended-alice';
export const restrictedAlice: Principal = { ...alice, scopes: [RESTRICTED_SCOPE] };

/**
 * Stands in for the token verifier (tested with the auth packages): exactly one bearer token
 * is valid, one restricted one, and one API key. Records the headers it was shown.
 */
export function fakeAuthenticate(seen: Headers[] = []) {
  return async (headers: Headers): Promise<Principal | undefined> => {
    seen.push(headers);
    const authorization = headers.get('authorization');
    if (authorization === `Bearer ${API_KEY}`) return bobsKey;
    if (authorization === `Bearer ${RESTRICTED_TOKEN}`) return restrictedAlice;
    return authorization === `Bearer ${GOOD_TOKEN}` ? alice : undefined;
  };
}

export function silentLogger() {
  return createRootLogger({ level: 'silent' });
}

// One real local bus (the embedded mode's, on an in-memory PGlite) per test file, for the live
// side of the fan-out.
let busHarness: Promise<BusHarness> | undefined;
let sharedBus: Promise<Bus> | undefined;
afterAll(async () => {
  await (await busHarness)?.teardown();
});
export function liveBus(): Promise<Bus> {
  busHarness ??= localPgliteHarness();
  sharedBus ??= busHarness.then((h) => h.createBus());
  return sharedBus;
}

/**
 * Topic access for the socket-level tests: the caller's own topics only. Circle and post topics
 * need their services and are tested end to end (realtime.test.ts, realtime-posts.test.ts).
 */
const ownTopicsOnly = topicAccess(
  {
    roleOf: () => Promise.reject(new Error('no circle service in this harness')),
    peek: () => null,
    stop: () => {},
  },
  { allows: () => Promise.reject(new Error('no post service in this harness')) },
  {
    owner: { allows: () => Promise.reject(new Error('no support service in this harness')) },
    responder: { allows: () => Promise.reject(new Error('no support service in this harness')) },
  },
);

/**
 * Stores a frame as the frame store does (numbered in the log, then fanned out live): an
 * AccountEvent PROFILE_UPDATED on `userId`'s "user" topic, with `version`.
 */
export function storeAccountFrame(
  h: Pick<Harness, 'log' | 'bus'>,
  userId: string,
  version: bigint,
): Promise<bigint> {
  return storeFrame(h, ownTopic('user', userId), {
    case: 'account',
    value: { change: AccountChange.PROFILE_UPDATED, version },
  });
}

/** Stores any event frame on `topic` as the frame store does; resolves with its seq. */
export async function storeFrame(
  h: Pick<Harness, 'log' | 'bus'>,
  topic: Topic,
  payload: Payload,
): Promise<bigint> {
  const result = await h.log.append(topic.key, randomUUID(), (seq) => {
    const { frame } = routedFrame(
      create(EnvelopeSchema, { occurredAt: timestampNow() }),
      topic,
      payload,
    );
    frame.seq = seq;
    return toBinary(ServerFrameSchema, frame);
  });
  if (result.duplicate) throw new Error('stored twice');
  h.bus.publishLive(liveSubjectOf(topic.key), result.data);
  return result.seq;
}

export interface Harness {
  url: string;
  metrics: Registry;
  gateway: Gateway;
  bus: Bus;
  log: TopicLog;
  /** Every raw socket handed to onUpgrade, in order. */
  rawSockets: Duplex[];
  seenHeaders: Headers[];
}

/** Serves `onUpgrade` on a free port; everything is torn down after the test. */
export async function serveUpgrades(
  t: TestContext,
  onUpgrade: UpgradeHandler,
  beforeUpgrade: (socket: Duplex) => void = () => {},
) {
  const rawSockets: Duplex[] = [];
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    rawSockets.push(socket);
    beforeUpgrade(socket);
    onUpgrade(req, socket, head);
  });
  const port = await freePort();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  t.onTestFinished(async () => {
    for (const socket of rawSockets) socket.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `ws://127.0.0.1:${port}`, rawSockets };
}

export async function startGateway(
  t: TestContext,
  overrides: Partial<GatewayOptions> = {},
  beforeUpgrade?: (socket: Duplex) => void,
): Promise<Harness> {
  const metrics = new Registry();
  const seenHeaders: Headers[] = [];
  const bus = await liveBus();
  const log = overrides.log ?? createMemoryTopicLog();
  const gateway = createGateway({
    logger: silentLogger(),
    metrics,
    authenticate: fakeAuthenticate(seenHeaders),
    clock: () => new Date(),
    allowedOrigins: [],
    heartbeatMs: 10_000,
    maxBufferedBytes: 1024 * 1024,
    closeGraceMs: 500,
    maxSocketsPerUser: 100,
    upgradeLimiter: createRateLimiter({
      store: 'memory',
      keyPrefix: 'test',
      points: 1000,
      durationSec: 60,
    }),
    clientAddress: (req) => req.socket.remoteAddress ?? '',
    live: bus,
    log,
    replay: { windowMs: 24 * 3600_000, frames: 1000 },
    access: ownTopicsOnly,
    ...overrides,
  });
  t.onTestFinished(() => gateway.close());
  const { url, rawSockets } = await serveUpgrades(t, gateway.onUpgrade, beforeUpgrade);
  return { url, metrics, gateway, rawSockets, seenHeaders, bus, log };
}

export interface TestClient {
  ws: WebSocket;
  frames: ServerFrame[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until at least n frames arrived and returns the nth (1-based). */
  frame(n: number, timeoutMs?: number): Promise<ServerFrame>;
}

export async function connect(
  t: TestContext,
  url: string,
  protocols: string[] = [],
  options: ClientOptions = {},
): Promise<TestClient> {
  const ws = new WebSocket(url, protocols, options);
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    frames.push(
      isBinary
        ? fromBinary(ServerFrameSchema, data)
        : fromJsonString(ServerFrameSchema, data.toString('utf8')),
    );
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  t.onTestFinished(() => ws.terminate());
  await once(ws, 'open');
  return {
    ws,
    frames,
    closed,
    async frame(n, timeoutMs = 2_000) {
      await waitFor(() => frames.length >= n, { timeoutMs, intervalMs: 5, what: `frame ${n}` });
      return frames[n - 1]!;
    },
  };
}

/** Attempts an upgrade that must be refused; resolves with the HTTP status, never opens. */
export function refusedStatus(
  url: string,
  protocols: string[] = [],
  options: ClientOptions = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    ws.on('error', reject);
  });
}

export async function socketGauge(metrics: Registry): Promise<number> {
  const metric = await metrics.getSingleMetric('kith_gateway_sockets')?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}
