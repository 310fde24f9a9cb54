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
 * true when it answered the request; false hands it on to the Connect adapter.
 */
export function createPlainHttp(options: PlainHttpOptions) {
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

  return async function handle(req: NodeRequest, res: NodeResponse): Promise<boolean> {
    const origin = req.headers.origin;
    const originAllowed = typeof origin === 'string' && allowed.has(origin);
    if (typeof origin === 'string') res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (!originAllowed) {
        res.writeHead(403);
        res.end();
        return true;
      }
      res.writeHead(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': allowMethods,
        'access-control-allow-headers': allowHeaders,
        'access-control-max-age': '7200',
      });
      res.end();
      return true;
    }
    if (originAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
    }
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[`${req.method ?? 'GET'} ${path}`];
    if (!route) return false;
    await route(req, res);
    return true;
  };
}
