import { cors } from '@connectrpc/connect';
import type { NodeRequest, NodeResponse } from './http-types.js';
import type { Registry } from 'prom-client';
import type { HealthState } from './health-state.js';

/** Extra plain HTTP routes keyed `'GET /path'`, e.g. the auth service's JWKS document. */
export type HttpRoutes = Record<
  string,
  (req: NodeRequest, res: NodeResponse) => void | Promise<void>
>;

const extraAllowedHeaders = [
  'Authorization',
  'Idempotency-Key',
  'X-Request-Id',
  'traceparent',
  'tracestate',
];
const extraExposedHeaders = ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'];

export interface PlainHttpOptions {
  state: HealthState;
  registry: Registry;
  routes: HttpRoutes;
  corsAllowedOrigins: readonly string[];
  /**
   * `/metrics` and the readiness report naming failed checks. False on a public API port when
   * an admin port serves them: `/readyz` then answers the status alone.
   */
  operatorRoutes: boolean;
}

function sendJson(res: NodeResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Handles what is not an RPC: CORS (all requests), probes, metrics and extra routes. Returns
 * false, at once, to hand the request on to the Connect adapter (no promise or microtask on
 * the RPC path), or a promise that settles when it has answered.
 */
export function createPlainHttp(options: PlainHttpOptions): PlainHttp {
  const allowed = new Set(options.corsAllowedOrigins);
  const allowHeaders = [...cors.allowedHeaders, ...extraAllowedHeaders].join(', ');
  const exposeHeaders = [...cors.exposedHeaders, ...extraExposedHeaders].join(', ');
  const allowMethods = cors.allowedMethods.join(', ');

  const builtin: HttpRoutes = {
    'GET /healthz': (_req, res) => sendJson(res, 200, { status: 'alive' }),
    'GET /readyz': async (_req, res) => {
      const report = await options.state.report();
      if (report.ready) sendJson(res, 200, { status: 'ready' });
      else if (!options.operatorRoutes) sendJson(res, 503, { status: 'not ready' });
      else sendJson(res, 503, { status: 'not ready', failed: report.failed });
    },
    ...(options.operatorRoutes
      ? {
          'GET /metrics': async (_req: NodeRequest, res: NodeResponse) => {
            const text = await options.registry.metrics();
            res.writeHead(200, { 'content-type': options.registry.contentType });
            res.end(text);
          },
        }
      : {}),
  };
  const routes: HttpRoutes = { ...options.routes, ...builtin };

  return function handle(req, res) {
    const origin = req.headers.origin;
    const originAllowed = typeof origin === 'string' && allowed.has(origin);
    if (typeof origin === 'string') res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (!originAllowed) {
        res.writeHead(403);
        res.end();
        return answered;
      }
      res.writeHead(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': allowMethods,
        'access-control-allow-headers': allowHeaders,
        'access-control-max-age': '7200',
      });
      res.end();
      return answered;
    }
    if (originAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = routes[`${req.method ?? 'GET'} ${q < 0 ? url : url.slice(0, q)}`];
    if (!route) return false;
    return (async () => {
      await route(req, res);
      return true as const;
    })();
  };
}

/** False: not a plain route, hand the request on. A promise: answered (or failed) when settled. */
export type PlainHttp = (req: NodeRequest, res: NodeResponse) => false | Promise<true>;

const answered: Promise<true> = Promise.resolve(true);

/**
 * Runs `plain`, then `rpc` when it was not a plain route; a plain route that fails is logged and
 * answered 500.
 */
export function routePlainFirst(
  plain: PlainHttp,
  rpc: (req: NodeRequest, res: NodeResponse) => void,
  onError: (err: unknown, req: NodeRequest) => void,
): (req: NodeRequest, res: NodeResponse) => void {
  const failed = (err: unknown, req: NodeRequest, res: NodeResponse): void => {
    onError(err, req);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  };
  return (req, res) => {
    let handled: false | Promise<true>;
    try {
      handled = plain(req, res);
    } catch (err) {
      failed(err, req, res);
      return;
    }
    if (handled === false) rpc(req, res);
    else handled.catch((err: unknown) => failed(err, req, res));
  };
}
