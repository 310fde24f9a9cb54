// Realtime fan-out, side by side in one run: a raw `ws` broadcast server (the floor: no auth, no
// topics, one send per socket) and the Kith gateway (authenticated sockets, each subscribed to
// one circle topic; each event numbered in the replay log and fanned out live through the bus,
// as the frame store does). Each server runs in its own process (realtime-server.ts); this
// process holds the client sockets. For each: memory per idle socket (server RSS after opening
// and subscribing all sockets, minus before, after GC); one event → the last socket, p50 / p99
// over `--events` events sent one at a time; deliveries per second over a burst of `--burst`
// events sent back to back. Prints each figure and the gateway's ratio to raw ws.
//   pnpm bench:realtime [-- --sockets 10000 --events 40 --burst 20 --rounds 3]
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { benchArgs } from './args.js';
import { percentile } from './percentile.js';
import { BENCH_CIRCLE } from './realtime-ipc.js';
import type { ServerCommand, ServerReply } from './realtime-ipc.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    sockets: { type: 'string', default: '10000' },
    events: { type: 'string', default: '40' },
    burst: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
  },
});
const socketCount = Number(values.sockets);
const eventCount = Number(values.events);
const burst = Number(values.burst);
const rounds = Number(values.rounds);
type Mode = 'raw' | 'gateway';

/** The middle value; the mean of the two middle ones for an even count of rounds. */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

class Server {
  private readonly child: ChildProcess;
  private readonly replies: ServerReply[] = [];
  private waiting: (() => void) | undefined;

  constructor(mode: Mode) {
    this.child = fork(new URL('./realtime-server.ts', import.meta.url), [mode], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: ServerReply) => {
      this.replies.push(reply);
      this.waiting?.();
    });
  }

  async next<K extends string>(key: K): Promise<Extract<ServerReply, Record<K, unknown>>> {
    for (;;) {
      const i = this.replies.findIndex((r) => key in r);
      if (i >= 0) return this.replies.splice(i, 1)[0] as Extract<ServerReply, Record<K, unknown>>;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  send(command: ServerCommand): void {
    this.child.send(command);
  }

  async stop(): Promise<void> {
    this.send({ stop: true });
    if (this.child.exitCode === null) await once(this.child, 'exit');
  }
}

/** Client sockets that count event frames: arrivals[k] sockets got their k-th event. */
class Clients {
  readonly sockets: WebSocket[] = [];
  private readonly arrivals: number[] = [];
  /** When the last socket got event k (performance.now()). */
  readonly complete: number[] = [];

  async open(mode: Mode, port: number): Promise<void> {
    const topic = `circle:${BENCH_CIRCLE}`;
    const openOne = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const ws =
          mode === 'raw'
            ? new WebSocket(`ws://127.0.0.1:${port}/`)
            : new WebSocket(`ws://127.0.0.1:${port}/ws`, {
                headers: { authorization: `Bearer bench-${i}` },
              });
        let seen = 0;
        ws.on('message', (data: Buffer) => {
          const text = data.toString();
          if (text.includes('"type":"circle"')) {
            seen += 1;
            const got = (this.arrivals[seen] ?? 0) + 1;
            this.arrivals[seen] = got;
            if (got === socketCount) this.complete[seen] = performance.now();
          } else if (text.includes('"type":"hello"')) {
            ws.send(JSON.stringify({ subscribe: { topic } }));
          } else if (text.includes('"type":"subscribed"')) {
            resolve();
          }
        });
        ws.once('error', reject);
        if (mode === 'raw') ws.once('open', () => resolve());
        this.sockets.push(ws);
      });
    for (let i = 0; i < socketCount; i += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, socketCount - i) }, (_, j) => openOne(i + j)),
      );
    }
  }

  async until(k: number): Promise<number> {
    while (this.complete[k] === undefined) await new Promise((r) => setImmediate(r));
    return this.complete[k]!;
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}

interface Figures {
  perSocketKb: number;
  p50: number;
  p99: number;
  deliveriesPerSec: number;
}

async function measure(mode: Mode): Promise<Figures> {
  const server = new Server(mode);
  const { listening: port } = await server.next('listening');
  server.send({ measure: true });
  const before = (await server.next('memory')).memory;
  const clients = new Clients();
  await clients.open(mode, port);
  server.send({ measure: true });
  const idle = (await server.next('memory')).memory;
  const perSocketKb = (idle.rss - before.rss) / socketCount / 1024;

  let k = 0;
  const latencies: number[] = [];
  for (let e = 0; e < eventCount; e += 1) {
    k += 1;
    const sent = performance.now();
    server.send({ broadcast: k });
    latencies.push((await clients.until(k)) - sent);
    await new Promise((r) => setTimeout(r, 20));
  }
  latencies.sort((a, b) => a - b);

  const started = performance.now();
  for (let b = 0; b < burst; b += 1) server.send({ broadcast: k + 1 + b });
  k += burst;
  const finished = await clients.until(k);
  const deliveriesPerSec = (socketCount * burst) / ((finished - started) / 1000);

  clients.close();
  await server.stop();
  return {
    perSocketKb,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    deliveriesPerSec,
  };
}

const results: Record<Mode, Figures[]> = { raw: [], gateway: [] };
for (let round = 1; round <= rounds; round += 1) {
  for (const mode of ['raw', 'gateway'] as const) {
    const figures = await measure(mode);
    results[mode].push(figures);
    console.log(
      `round ${round} ${mode.padEnd(7)} ${figures.perSocketKb.toFixed(1)} KB/socket  ` +
        `last socket p50 ${figures.p50.toFixed(1)} ms p99 ${figures.p99.toFixed(1)} ms  ` +
        `${Math.round(figures.deliveriesPerSec)} deliveries/s`,
    );
  }
}

const of = (mode: Mode, key: keyof Figures) => median(results[mode].map((f) => f[key]));
console.log(
  `\n${socketCount} sockets, ${eventCount} events one at a time, bursts of ${burst}; medians of ${rounds} rounds`,
);
console.log('| figure | raw ws | gateway | gateway / raw | goal |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label, key, unit, goal] of [
  ['memory per idle socket', 'perSocketKb', 'KB', '≤ 16 KB'],
  ['one event → last socket, p50', 'p50', 'ms', '≤ 1.2×'],
  ['one event → last socket, p99', 'p99', 'ms', '≤ 1.2×'],
  ['deliveries per second (burst)', 'deliveriesPerSec', '/s', '≥ 0.7×'],
] as const) {
  const raw = of('raw', key);
  const gateway = of('gateway', key);
  const digits = key === 'deliveriesPerSec' ? 0 : 1;
  console.log(
    `| ${label} | ${raw.toFixed(digits)} ${unit} | ${gateway.toFixed(digits)} ${unit} | ${(gateway / raw).toFixed(2)} | ${goal} |`,
  );
}
