// Side-by-side throughput of a bare node:http JSON handler and a trivial Kith RPC through the
// full stack (the server and the default interceptor chain: request id + access log, error
// mapping, tracing, rate limits, authentication, validation), under the same load generator and
// settings in one run. Prints rps, p50, p99 and ratios.
//   pnpm bench [-- --duration 10 --connections 50]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createRateLimiter } from '@kith/cache';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { defaultInterceptorChain } from '@kith/interceptors';
import { createRootLogger } from '@kith/logging';
import { createKithServer } from '@kith/server';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(name: string, url: string, body: string): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration,
  });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

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

// The access log is part of the stack: it is written, to a discarding destination.
const logger = createRootLogger({ level: 'info', destination: { write: () => true } });
const limiter = () =>
  createRateLimiter({ store: 'memory', keyPrefix: 'bench', points: 1e9, durationSec: 60 });
const server = createKithServer({
  logger,
  port: 0,
  // GetJwks stands in for a trivial read: a public method with an empty request.
  routes: (router) => router.service(AuthService, { getJwks: () => ({ jwksJson: '{"keys":[]}' }) }),
  interceptors: defaultInterceptorChain({
    logger,
    rateLimit: { perClient: limiter(), perUser: limiter() },
    authentication: {
      authenticators: [async () => undefined],
      publicMethods: new Set(['kith.auth.v1.AuthService/GetJwks']),
    },
  }),
});
const kith = await server.start();
const rpcUrl = `${kith.url}/kith.auth.v1.AuthService/GetJwks`;

try {
  // Warm both up, then measure.
  await load('warmup', `http://127.0.0.1:${barePort}/`, '{}');
  await load('warmup', rpcUrl, '{}');
  const rows = [
    await load('node:http bare JSON', `http://127.0.0.1:${barePort}/`, '{}'),
    await load('Kith GetJwks, full chain (Connect)', rpcUrl, '{}'),
  ];
  const [base, rpc] = rows as [Figures, Figures];
  console.log(`\n${connections} connections, ${duration}s each, Node ${process.version}\n`);
  console.log('scenario                              rps       p50 ms  p99 ms  errors');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(36)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)}`,
    );
  }
  console.log(
    `\nratio Kith/bare: rps ${(rpc.rps / base.rps).toFixed(3)}, p50 ${(rpc.p50 / Math.max(base.p50, 1)).toFixed(2)}x, p99 ${(rpc.p99 / Math.max(base.p99, 1)).toFixed(2)}x`,
  );
} finally {
  await server.stop();
  bare.close();
}
