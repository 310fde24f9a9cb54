// One side of bench:realtime, in its own process so its memory is its own: either a raw `ws`
// broadcast server (every open socket gets the frame, nothing else) or the Kith gateway
// (authenticated upgrades, Hello, a Subscribe per socket to one circle topic, frames stored in
// the replay log and fanned out live through the bus as the frame store does it). Commands
// arrive over IPC from realtime.ts.
//   node --import tsx --expose-gc realtime-server.ts raw|gateway
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { create, toBinary, toJsonString } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { createMemoryTopicLog } from '@kith/bus';
import { localPgliteHarness } from '@kith/bus/testing';
import { createRateLimiter } from '@kith/cache';
import { circleTopic, createGateway, liveSubjectOf } from '@kith/gateway';
import { CircleChange, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { createRootLogger } from '@kith/logging';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { BENCH_CIRCLE } from './realtime-ipc.js';
import type { ServerCommand, ServerReply } from './realtime-ipc.js';

const mode = process.argv[2];
const send = (reply: ServerReply) => process.send!(reply);

/** The frame a circle update becomes (CircleEvent UPDATED), numbered `seq`. */
function frame(seq: bigint) {
  return create(ServerFrameSchema, {
    v: 1,
    seq,
    type: 'circle',
    topic: circleTopic(BENCH_CIRCLE).name,
    occurredAt: timestampNow(),
    payload: {
      case: 'circle',
      value: { circleId: BENCH_CIRCLE, change: CircleChange.UPDATED, version: seq },
    },
  });
}

const server = http.createServer((_req, res) => res.writeHead(426).end());
let broadcast: (n: number) => Promise<void>;

if (mode === 'raw') {
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  });
  broadcast = async (n) => {
    // The same bytes the gateway sends a JSON socket, encoded once.
    const text = toJsonString(ServerFrameSchema, frame(BigInt(n)));
    for (const ws of sockets) ws.send(text);
  };
} else if (mode === 'gateway') {
  const bus = await (await localPgliteHarness()).createBus();
  const log = createMemoryTopicLog();
  const topic = circleTopic(BENCH_CIRCLE);
  const gateway = createGateway({
    logger: createRootLogger({ level: 'silent' }),
    metrics: new Registry(),
    // Each socket is its own user; the token names it.
    authenticate: async (headers) => {
      const token = headers.get('authorization')?.slice('Bearer '.length) ?? '';
      const n = /^bench-(\d+)$/.exec(token)?.[1];
      if (n === undefined) return undefined;
      return {
        userId: `01900000-0000-7000-8000-${Number(n).toString(16).padStart(12, '0')}`,
        sessionId: `01900000-0000-7000-9000-${Number(n).toString(16).padStart(12, '0')}`,
        role: 'user',
        via: 'access_token',
        scopes: ['*'],
        issuedAt: Math.floor(Date.now() / 1000),
      };
    },
    clock: () => new Date(),
    allowedOrigins: [],
    heartbeatMs: 30_000,
    maxBufferedBytes: 1024 * 1024,
    closeGraceMs: 1_000,
    maxSocketsPerUser: 16,
    upgradeLimiter: createRateLimiter({
      store: 'memory',
      keyPrefix: 'bench',
      points: 1_000_000,
      durationSec: 60,
    }),
    clientAddress: () => '127.0.0.1',
    live: bus,
    log,
    replay: { windowMs: 24 * 3600_000, frames: 1000 },
    // Every bench user is a member of the bench circle.
    access: { allows: async () => true, stillAllows: () => true },
  });
  server.on('upgrade', gateway.onUpgrade);
  broadcast = async (n) => {
    // What the frame store does with a routed event: number it in the log, publish it live.
    const stored = await log.append(topic.key, `bench:${n}`, (seq) =>
      toBinary(ServerFrameSchema, frame(seq)),
    );
    if (!stored.duplicate) bus.publishLive(liveSubjectOf(topic.key), stored.data);
  };
} else {
  throw new Error('mode is raw or gateway');
}

server.listen(0, '127.0.0.1', () => send({ listening: (server.address() as AddressInfo).port }));
process.on('message', (command: ServerCommand) => {
  if ('broadcast' in command) {
    void broadcast(command.broadcast);
  } else if ('measure' in command) {
    // Twice: finalizers of the first pass free more in the second.
    global.gc?.();
    global.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ memory: { rss, heapUsed } });
  } else {
    process.exit(0);
  }
});
