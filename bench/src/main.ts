// Side-by-side throughput of a bare node:http JSON handler, fastify (a peer framework) and a
// trivial Kith RPC through the full stack (the server and the default interceptor chain: request
// id + access log, error mapping, tracing, rate limits, authentication, validation), once on the
// stock connect-node handler and once on the fast path, under the same load generator and
// settings in one run. Prints rps, p50, p99, the servers' CPU time per request, and each ratio
// to the bare handler. The load generator runs in a child process (`--same-process` puts it in
// the servers' event loop, as this bench did before 2026-12-06).
// The scenarios are interleaved over several rounds and each figure is the median of its
// rounds, so a neighbour's load on a shared machine skews every row alike rather than one.
//   pnpm bench [-- --duration 10 --connections 50 --rounds 3 --rate 4000 --same-process --only fast]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import fastify from 'fastify';
import { createRateLimiter } from '@kith/cache';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { defaultInterceptorChain } from '@kith/interceptors';
import { createRootLogger } from '@kith/logging';
import { createKithServer } from '@kith/server';
import { load, loadFromChild } from './load.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    // Requests per second offered to every scenario; unset, each goes as fast as it answers.
    // At one rate for all, the CPU per request compares the work without the rate's own effect.
    rate: { type: 'string' },
    // The load generator in the servers' own process and event loop, as this bench ran before
    // 2026-12-06: it takes CPU from the servers and compresses every ratio towards 1.
    'same-process': { type: 'boolean', default: false },
    // Only the scenarios whose names contain this (the bare handler always runs: the ratios).
    only: { type: 'string' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const rate = values.rate === undefined ? undefined : Number(values.rate);
const sameProcess = values['same-process'];
if (sameProcess && rate !== undefined) {
  throw new Error('--rate needs the separate load process: drop --same-process');
}

/**
 * The figures of one scenario, run with this bench's connections and duration. The load
 * generator runs in a child process unless asked otherwise, so it has its own core and the
 * servers theirs, as clients elsewhere would.
 */
const run = async (
  name: string,
  url: string,
  body: string | Buffer,
  contentType?: string,
): Promise<Figures> =>
  sameProcess
    ? {
        ...(await load({ name, url, body, contentType, connections, duration })),
        cpuUsPerRequest: NaN,
      }
    : loadFromChild({ name, url, body, contentType, connections, duration, rate });
type Figures = Awaited<ReturnType<typeof loadFromChild>>;

const bare = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString() || '{}');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"SERVING"}');
  });
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const barePort = (bare.address() as AddressInfo).port;

const peer = fastify();
peer.post('/', async () => ({ status: 'SERVING' }));
const peerUrl = await peer.listen({ port: 0, host: '127.0.0.1' });

// The access log is part of the stack: it is written, to a discarding destination.
const logger = createRootLogger({ level: 'info', destination: { write: () => true } });
const limiter = () =>
  createRateLimiter({ store: 'memory', keyPrefix: 'bench', points: 1e9, durationSec: 60 });
const kithServer = (fastPath: boolean) =>
  createKithServer({
    logger,
    port: 0,
    fastPath,
    // GetJwks stands in for a trivial read: a public method with an empty request.
    routes: (router) =>
      router.service(AuthService, { getJwks: () => ({ jwksJson: '{"keys":[]}' }) }),
    interceptors: defaultInterceptorChain({
      logger,
      rateLimit: { perClient: limiter(), perUser: limiter() },
      authentication: {
        authenticators: [async () => undefined],
        publicMethods: new Set(['kith.auth.v1.AuthService/GetJwks']),
      },
    }),
  });
const stock = kithServer(false);
const fast = kithServer(true);
const path = '/kith.auth.v1.AuthService/GetJwks';
const stockUrl = `${(await stock.start()).url}${path}`;
const fastUrl = `${(await fast.start()).url}${path}`;
const bareUrl = `http://127.0.0.1:${barePort}/`;
const empty = Buffer.alloc(0);

try {
  // Warm every server up, then measure.
  for (const url of [bareUrl, peerUrl, stockUrl, fastUrl]) await run('warmup', url, '{}');
  const all: [string, () => Promise<Figures>][] = [
    ['node:http bare JSON', () => run('node:http bare JSON', bareUrl, '{}')],
    ['fastify JSON (peer)', () => run('fastify JSON (peer)', peerUrl, '{}')],
    ['Kith GetJwks, stock connect-node', () => run('stock', stockUrl, '{}')],
    ['Kith GetJwks, fast path (JSON)', () => run('fast', fastUrl, '{}')],
    [
      'Kith GetJwks, fast path (binary)',
      () => run('fast binary', fastUrl, empty, 'application/proto'),
    ],
  ];
  const scenarios = all.filter(
    ([name], i) => i === 0 || values.only === undefined || name.includes(values.only),
  );
  const runs = scenarios.map((): Figures[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, run]] of scenarios.entries()) runs[i]!.push(await run());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Figures[] = scenarios.map(([name], i) => ({
    name,
    rps: median(runs[i]!.map((r) => r.rps)),
    p50: median(runs[i]!.map((r) => r.p50)),
    p99: median(runs[i]!.map((r) => r.p99)),
    errors: runs[i]!.reduce((sum, r) => sum + r.errors, 0),
    cpuUsPerRequest: median(runs[i]!.map((r) => r.cpuUsPerRequest)),
  }));
  const base = rows[0]!;
  console.log(
    `\n${connections} connections ${sameProcess ? 'from a load generator in the same process' : `from a separate load process${rate ? `, ${rate} requests/s offered` : ''}`}, ${duration}s per scenario per round, median of ${rounds} interleaved rounds, Node ${process.version}; cpu µs/req: the servers' process CPU time per request\n`,
  );
  console.log(
    'scenario                              rps   p50 ms  p99 ms  errors  rps/bare  p50/bare  p99/bare  cpu µs/req  cpu/bare',
  );
  const cpu = (r: Figures) =>
    sameProcess
      ? `${'—'.padStart(11)} ${'—'.padStart(9)}`
      : `${r.cpuUsPerRequest.toFixed(1).padStart(11)} ${(r.cpuUsPerRequest / base.cpuUsPerRequest).toFixed(2).padStart(8)}x`;
  const ratio = (a: number, b: number) => (a / Math.max(b, 1)).toFixed(2).padStart(8);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)} ${(r.rps / base.rps).toFixed(3).padStart(9)} ${ratio(r.p50, base.p50)}x ${ratio(r.p99, base.p99)}x ${cpu(r)}`,
    );
  }
} finally {
  await Promise.all([stock.stop(), fast.stop()]);
  await peer.close();
  bare.close();
}
