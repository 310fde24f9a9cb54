// One autocannon run of POSTs to one URL, reduced to the figures every bench prints.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

export interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** One scenario: POSTs of `body` to `url` from `connections` connections for `duration` s. */
export interface LoadOptions {
  name: string;
  url: string;
  body: string | Buffer;
  connections: number;
  duration: number;
  contentType?: string;
}

export async function load(
  options: LoadOptions & {
    /** Headers chosen per request (a fresh client address, so per-address limits stay clear). */
    perRequest?: () => Record<string, string>;
  },
): Promise<Figures> {
  const headers = { 'content-type': options.contentType ?? 'application/json' };
  const perRequest = options.perRequest;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        body: options.body,
        headers,
        ...(perRequest
          ? { setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...perRequest() } }) }
          : {}),
      },
    ],
  });
  return {
    name: options.name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/**
 * The same run from a child process: the load generator gets its own event loop and core, so
 * the servers under test do not share theirs with it (as a client elsewhere would not). The
 * calling process's CPU time over the run is reported per request, the cost figure that does
 * not depend on how fast the generator can go.
 */
export async function loadFromChild(
  options: LoadOptions & {
    /** Requests per second across all connections; unset: as fast as the server answers. */
    rate?: number;
  },
): Promise<Figures & { cpuUsPerRequest: number }> {
  const autocannonPath = createRequire(import.meta.url).resolve('autocannon');
  const spec = JSON.stringify({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    body: Buffer.from(options.body).toString('base64'),
    contentType: options.contentType ?? 'application/json',
    rate: options.rate,
  });
  const script = `
    const { default: autocannon } = await import(${JSON.stringify(pathToFileURL(autocannonPath).href)});
    const spec = JSON.parse(process.argv[1]);
    const r = await autocannon({
      url: spec.url, connections: spec.connections, duration: spec.duration,
      ...(spec.rate ? { overallRate: spec.rate } : {}),
      requests: [{ method: 'POST', body: Buffer.from(spec.body, 'base64'),
        headers: { 'content-type': spec.contentType } }],
    });
    process.stdout.write(JSON.stringify({ rps: r.requests.average, total: r.requests.total,
      p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }));`;
  const cpuBefore = process.cpuUsage();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, spec], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (code !== 0) throw new Error(`load generator for ${options.name} exited with ${code}`);
  const r = JSON.parse(out) as {
    rps: number;
    total: number;
    p50: number;
    p99: number;
    errors: number;
  };
  return {
    name: options.name,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(r.total, 1),
  };
}

/** One request of a lean child client: the headers and binary body of a POST. */
export interface TimedRequest {
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Runs a lean HTTP client in a child process: `script` (an ES module body) runs after a
 * prologue that reads the spec from stdin (200 requests with their tokens outgrow an argument)
 * and defines `spec`, `url`, `agent` (keep-alive, `maxSockets`) and `requests` (bodies with
 * their content-length); what it writes to stdout is the answer, as JSON.
 */
async function childClient<T>(
  what: string,
  options: { url: string; requests: readonly TimedRequest[]; maxSockets: number },
  spec: Record<string, unknown>,
  script: string,
): Promise<T> {
  const input = JSON.stringify({
    ...spec,
    url: options.url,
    maxSockets: options.maxSockets,
    requests: options.requests.map((r) => ({
      headers: r.headers,
      body: Buffer.from(r.body).toString('base64'),
    })),
  });
  const prologue = `
    const http = await import('node:http');
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const spec = JSON.parse(input);
    const url = new URL(spec.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxSockets });
    const requests = spec.requests.map((r) => {
      const body = Buffer.from(r.body, 'base64');
      return { body, headers: { ...r.headers, 'content-length': String(body.length) } };
    });
    const post = (r, onResponse) => {
      const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname,
        method: 'POST', headers: r.headers }, onResponse);
      req.end(r.body);
      return req;
    };`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', prologue + script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(input);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${what} for ${options.url} exited with ${code}`);
  return JSON.parse(out) as T;
}

/**
 * p50 and p99 of `count` POSTs to `url` from a lean client in a child process (after `warmup`
 * untimed ones), one at a time on one keep-alive connection, or with `workers` callers each
 * waiting for its answer before its next call: the time a client elsewhere sees, without the
 * bench process's own garbage collection or event loop in it; and the calls per second. Call i
 * is `requests[i % requests.length]`; an answer other than 200 fails the run.
 */
export function timeFromChild(options: {
  url: string;
  requests: readonly TimedRequest[];
  count: number;
  warmup: number;
  workers?: number;
}): Promise<{ p50: number; p99: number; rps: number }> {
  const workers = options.workers ?? 1;
  return childClient(
    'timing client',
    { ...options, maxSockets: workers },
    { count: options.count, warmup: options.warmup, workers },
    `
    const call = (i) => new Promise((resolve, reject) => {
      post(requests[i % requests.length], (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => res.statusCode === 200 ? resolve()
          : reject(new Error(res.statusCode + ' ' + Buffer.concat(chunks).toString())));
      }).on('error', reject);
    });
    for (let i = 0; i < spec.warmup; i++) await call(i);
    const t = new Float64Array(spec.count);
    let next = 0;
    const began = performance.now();
    await Promise.all(Array.from({ length: spec.workers }, async () => {
      while (next < spec.count) {
        const i = next++;
        const start = performance.now();
        await call(i);
        t[i] = performance.now() - start;
      }
    }));
    const seconds = (performance.now() - began) / 1000;
    t.sort();
    const at = (p) => t[Math.min(t.length - 1, Math.floor((p / 100) * t.length))];
    process.stdout.write(JSON.stringify({ p50: at(50), p99: at(99), rps: spec.count / seconds }));`,
  );
}

/**
 * POSTs `requests` to `url` at `rate` per second (request i due at i / rate s), each on a free
 * keep-alive connection or a new one, from a lean client in a child process, so a loaded
 * bench process never delays a send or a reading of the answer. For each request: when it was
 * sent and answered, on the clock every process here shares (`performance.timeOrigin + now`,
 * in ms), and its status (0: no answer).
 */
export function paceFromChild(options: {
  url: string;
  requests: readonly TimedRequest[];
  rate: number;
}): Promise<{ sentAt: number; doneAt: number; status: number }[]> {
  return childClient(
    'paced client',
    { ...options, maxSockets: 256 },
    { rate: options.rate },
    `
    const clock = () => performance.timeOrigin + performance.now();
    const results = new Array(requests.length);
    const send = (i) => new Promise((resolve) => {
      const sentAt = clock();
      const done = (status) => { results[i] = { sentAt, doneAt: clock(), status }; resolve(); };
      post(requests[i], (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode));
      }).on('error', () => done(0));
    });
    const began = performance.now();
    const pending = [];
    for (let i = 0; i < requests.length; i++) {
      const wait = began + (i * 1000) / spec.rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(send(i));
    }
    await Promise.all(pending);
    process.stdout.write(JSON.stringify(results));`,
  );
}

/**
 * A bare `node:http` server in a child process answering every POST with `body` (after reading
 * the request): the floor under any RPC's figures on this machine, timed the same way.
 */
export async function bareServerFromChild(
  body: Uint8Array,
  contentType: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const script = `
    const http = await import('node:http');
    const body = Buffer.from(process.argv[1], 'base64');
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': ${JSON.stringify(contentType)}, 'content-length': body.length });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', script, Buffer.from(body).toString('base64')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    child.stdout.setEncoding('utf8').once('data', (chunk: string) => resolve(chunk.trim()));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}
