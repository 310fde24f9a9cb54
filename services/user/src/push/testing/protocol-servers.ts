// Local servers that speak each push provider's protocol, on 127.0.0.1 only: they record
// every request and answer what the test scripted (200 by default).
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ProtocolServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; afterwards `fallback`. */
  answers: ScriptedAnswer[];
  fallback: ScriptedAnswer;
  /** Per-path handler that overrides the script (e.g. an OAuth token endpoint). */
  routes: Record<string, (req: RecordedRequest) => ScriptedAnswer>;
  close(): Promise<void>;
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function answerFor(server: ProtocolServer, req: RecordedRequest): ScriptedAnswer {
  const route = server.routes[req.path];
  if (route) return route(req);
  server.requests.push(req);
  return server.answers.shift() ?? server.fallback;
}

/** An HTTP/2 server (cleartext h2c, as APNs speaks it over TLS) on a loopback port. */
export async function startHttp2Server(): Promise<ProtocolServer> {
  const h2 = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const server: ProtocolServer = {
    url: '',
    requests: [],
    answers: [],
    fallback: { status: 200 },
    routes: {},
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
    },
  };
  h2.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const rest = Object.fromEntries(
        Object.entries(headers).filter(([name]) => !name.startsWith(':')),
      ) as http.IncomingHttpHeaders;
      const req: RecordedRequest = {
        method: String(headers[':method']),
        path: String(headers[':path']),
        headers: flatHeaders(rest),
        body: Buffer.concat(chunks),
      };
      const answer = answerFor(server, req);
      stream.respond({ ':status': answer.status, ...answer.headers });
      stream.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(h2.address() as AddressInfo).port}`;
  return server;
}

/** An HTTP/1.1 server on a loopback port (FCM and Web Push accept HTTP/1.1). */
export async function startHttpServer(): Promise<ProtocolServer> {
  const h1 = http.createServer();
  const server: ProtocolServer = {
    url: '',
    requests: [],
    answers: [],
    fallback: { status: 201 },
    routes: {},
    async close() {
      h1.closeAllConnections();
      await new Promise<void>((resolve) => h1.close(() => resolve()));
    },
  };
  h1.on('request', (incoming: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const req: RecordedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: flatHeaders(incoming.headers),
        body: Buffer.concat(chunks),
      };
      const answer = answerFor(server, req);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(h1.address() as AddressInfo).port}`;
  return server;
}
