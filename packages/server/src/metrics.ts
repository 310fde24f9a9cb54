import type { Interceptor } from '@connectrpc/connect';
import { Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import { observeCall, outcomeOf } from './observe-call.js';

const labelNames = ['service', 'method', 'code'] as const;

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Installs process default metrics on `registry` once (never the global registry, so several
 * servers in one test process do not collide).
 */
export function registerDefaultMetrics(registry: Registry): void {
  if (registry.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics({ register: registry });
}

/** Records `kith_rpc_duration_seconds` and `kith_rpc_requests_total` per service, method, code. */
export function createMetricsInterceptor({ registry }: { registry: Registry }): Interceptor {
  const duration = getOrCreate(
    registry,
    'kith_rpc_duration_seconds',
    () =>
      new Histogram({
        name: 'kith_rpc_duration_seconds',
        help: 'RPC handling time in seconds, until the last response message was sent.',
        labelNames,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );
  const total = getOrCreate(
    registry,
    'kith_rpc_requests_total',
    () =>
      new Counter({
        name: 'kith_rpc_requests_total',
        help: 'RPCs handled, by outcome code.',
        labelNames,
        registers: [registry],
      }),
  );
  return (next) => (req) => {
    const started = process.hrtime.bigint();
    return observeCall(req, next, (err) => {
      const labels = {
        service: req.service.typeName,
        method: req.method.name,
        code: outcomeOf(err),
      };
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      total.inc(labels);
    });
  };
}
