// What a Redis operation per request costs a service beyond its round trip: the garbage each
// call leaves and the scavenges that collect it. Side by side in one run, each as 20,000 calls
// one after another after 2,000 untimed:
// 1. a rate-limit count: rate-limiter-flexible's RateLimiterRedis as shipped (a MULTI pipeline
//    built on every call) and Kith's limiter (@kith/cache, one script);
// 2. a cached list read (LRANGE and PEXPIRE of 50 items): as a MULTI, and as Kith's list store
//    reads it (one script).
// A young-generation collection (scavenge) stops the process: its length is added to every
// call in flight, which is where a service's p99 goes when each one copies promoted garbage.
//   pnpm bench:redis [-- --calls 20000]
// Needs REDIS_URL (redis://127.0.0.1:6379 otherwise); writes only keys under a fresh prefix.
import { PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createRateLimiter, createRedisClient, createRedisListStore } from '@kith/cache';
import { benchArgs } from './args.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: { calls: { type: 'string', default: '20000' } },
});
const calls = Number(values.calls);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `kith_bench_redis_${crypto.randomBytes(4).toString('hex')}`;

// The client every service makes (command timeouts and all).
const redis = createRedisClient({ url });
await redis.connect();

const scavenges: PerformanceEntry[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    // kind 1: a minor collection (NODE_PERFORMANCE_GC_MINOR).
    if ((entry as PerformanceEntry & { detail?: { kind: number } }).detail?.kind === 1) {
      scavenges.push(entry);
    }
  }
}).observe({ entryTypes: ['gc'] });

async function run(name: string, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 2000; i++) await call(i);
  await new Promise((resolve) => setImmediate(resolve));
  scavenges.length = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) await call(i);
  const elapsed = performance.now() - start;
  const pauses = scavenges.map((e) => e.duration).sort((a, b) => a - b);
  const total = pauses.reduce((a, b) => a + b, 0);
  return {
    name,
    usPerCall: (elapsed * 1000) / calls,
    scavenges: pauses.length,
    meanMs: pauses.length ? total / pauses.length : 0,
    maxMs: pauses.at(-1) ?? 0,
    shareOfTime: total / elapsed,
  };
}

const stockLimiter = new RateLimiterRedis({
  storeClient: redis,
  keyPrefix: `${prefix}:stock`,
  points: 1e9,
  duration: 60,
});
const kithLimiter = createRateLimiter({
  store: { redis },
  keyPrefix: `${prefix}:kith`,
  points: 1e9,
  durationSec: 60,
});
const lists = createRedisListStore(redis, prefix);
const items = Array.from({ length: 50 }, (_, i) => `entry-${i}`);
await lists.replace('home', items, { cap: 800, ttlMs: 60_000 });
const listKey = `${prefix}:list:home`;

const rows = [
  await run('rate limit, RateLimiterRedis (MULTI)', (i) => stockLimiter.consume(`k${i % 100}`)),
  await run('rate limit, Kith limiter (script)', (i) => kithLimiter.consume(`k${i % 100}`)),
  await run('list read, MULTI', () =>
    redis.multi().lrange(listKey, 0, -1).pexpire(listKey, 60_000).exec(),
  ),
  await run('list read, Kith list store (script)', () => lists.read('home', { ttlMs: 60_000 })),
];

const keys = await redis.keys(`${prefix}*`);
if (keys.length > 0) await redis.del(...keys);
redis.disconnect();

const fmt = (x: number, digits = 2) => x.toFixed(digits).padStart(9);
console.log(`\n${calls} calls each, one at a time, Node ${process.version}\n`);
console.log(
  'scenario                                 µs/call  scavenges  mean ms   max ms  of time',
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)} ${fmt(r.usPerCall, 1)} ${String(r.scavenges).padStart(10)} ${fmt(r.meanMs)} ${fmt(r.maxMs)} ${fmt(100 * r.shareOfTime, 1)}%`,
  );
}
const [stock, kith, multi, script] = rows as [
  (typeof rows)[0],
  (typeof rows)[0],
  (typeof rows)[0],
  (typeof rows)[0],
];
console.log(
  `\nmean scavenge, MULTI / script: rate limit ${(stock.meanMs / kith.meanMs).toFixed(1)}×, ` +
    `list read ${(multi.meanMs / script.meanMs).toFixed(1)}×`,
);
