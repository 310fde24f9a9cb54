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
  const series = new WeakMap<object, Map<string, RpcSeries>>();
  const seriesOf = (req: Parameters<Parameters<Interceptor>[0]>[0], code: string): RpcSeries => {
    let byCode = series.get(req.method);
    if (byCode === undefined) series.set(req.method, (byCode = new Map()));
    let one = byCode.get(code);
    if (one === undefined) {
      const labels = { service: req.service.typeName, method: req.method.name, code };
      byCode.set(code, (one = new RpcSeries(labels, duration, total)));
    }
    return one;
  };
  return (next) => (req) => {
    const started = performance.now();
    return observeCall(req, next, (err) => {
      seriesOf(req, outcomeOf(err)).record((performance.now() - started) / 1000);
    });
  };
}

type Labels = { service: string; method: string; code: string };
interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}
interface CounterEntry {
  labels: Labels;
  value: number;
}
/** What prom-client 15 keeps inside its metrics (not its API: checked at every use). */
interface Inside<E> {
  hashMap?: Record<string, E>;
  upperBounds?: number[];
}

/**
 * One RPC outcome's series of both metrics. prom-client's `observe` and `inc` validate the
 * labels, hash them and make a closure on every call; this adds to the entries prom-client made
 * for the same labels on the first call, as its own code would (the first bucket whose bound
 * holds the value, the sum, the count). If they are gone (a reset) or not where expected, the
 * call goes through prom-client's API.
 */
class RpcSeries {
  #histogram: HistogramEntry | undefined;
  #counter: CounterEntry | undefined;
  #histogramMap: object | undefined;
  #counterMap: object | undefined;

  constructor(
    readonly labels: Labels,
    readonly duration: Histogram,
    readonly total: Counter,
  ) {}

  record(seconds: number): void {
    const histogram = this.duration as unknown as Inside<HistogramEntry>;
    const counter = this.total as unknown as Inside<CounterEntry>;
    if (histogram.hashMap !== this.#histogramMap || counter.hashMap !== this.#counterMap) {
      // The first call, or the metrics were reset: through prom-client, then find its entries.
      this.duration.observe(this.labels, seconds);
      this.total.inc(this.labels);
      this.#histogramMap = histogram.hashMap;
      this.#counterMap = counter.hashMap;
      this.#histogram = entryOf(histogram.hashMap, this.labels);
      this.#counter = entryOf(counter.hashMap, this.labels);
      return;
    }
    const h = this.#histogram;
    const c = this.#counter;
    const bounds = histogram.upperBounds;
    if (h === undefined || c === undefined || bounds === undefined) {
      // Not where prom-client 15 keeps them: its API on every call, no search.
      this.duration.observe(this.labels, seconds);
      this.total.inc(this.labels);
      return;
    }
    h.sum += seconds;
    h.count += 1;
    for (const bound of bounds) {
      if (seconds <= bound) {
        h.bucketValues[bound]! += 1;
        break;
      }
    }
    c.value += 1;
  }
}

function entryOf<E extends { labels: Labels }>(
  map: Record<string, E> | undefined,
  labels: Labels,
): E | undefined {
  if (map === undefined) return undefined;
  for (const key in map) {
    const entry = map[key]!;
    const l = entry.labels;
    if (l.service === labels.service && l.method === labels.method && l.code === labels.code) {
      return entry;
    }
  }
  return undefined;
}
