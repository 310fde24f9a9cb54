import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { Registry } from 'prom-client';
import { createMetricsInterceptor } from './metrics.js';

type Next = Parameters<Interceptor>[0];
const methods = new Map<string, object>();
// The interceptor keys its series by the method descriptor: one object per method name.
const callAs = (interceptor: Interceptor, name: string, fail?: Code) => {
  if (!methods.has(name)) methods.set(name, { name });
  const next = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (fail !== undefined) throw new ConnectError('no', fail);
    return { stream: false, header: new Headers(), trailer: new Headers() };
  }) as unknown as Next;
  const req = { stream: false, service: { typeName: 'kith.test.v1.T' }, method: methods.get(name) };
  return interceptor(next)(req as never).catch(() => undefined);
};

/** `name{labels} value` lines of one metric, the `le` of buckets kept. */
async function lines(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.getSingleMetricAsString(name);
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('RPC metrics', () => {
  it('counts every call and its duration by outcome, as prom-client itself would', async () => {
    const registry = new Registry();
    const interceptor = createMetricsInterceptor({ registry });
    for (let i = 0; i < 5; i++) await callAs(interceptor, 'Get');
    for (let i = 0; i < 3; i++) await callAs(interceptor, 'Get', Code.NotFound);
    await callAs(interceptor, 'List');
    const totals = await lines(registry, 'kith_rpc_requests_total');
    assert.deepEqual(totals.sort(), [
      'kith_rpc_requests_total{service="kith.test.v1.T",method="Get",code="not_found"} 3',
      'kith_rpc_requests_total{service="kith.test.v1.T",method="Get",code="ok"} 5',
      'kith_rpc_requests_total{service="kith.test.v1.T",method="List",code="ok"} 1',
    ]);
    const durations = await lines(registry, 'kith_rpc_duration_seconds');
    const get = durations.filter((l) => l.includes('method="Get",code="ok"'));
    const value = (part: string) =>
      Number(
        get
          .find((l) => l.includes(part))!
          .split(' ')
          .pop(),
      );
    assert.equal(value('_count'), 5);
    assert.equal(value('le="+Inf"'), 5);
    // Each call took 2 ms or more: none in the 1 ms bucket, all by 10 s, the sum at least 10 ms.
    assert.equal(value('le="0.001"'), 0);
    assert.equal(value('le="10"'), 5);
    const sum = value('_sum');
    assert.ok(sum >= 0.01 && sum < 5, `sum ${sum}`);
    // Buckets are cumulative and never fall.
    const buckets = get.filter((l) => l.includes('_bucket')).map((l) => Number(l.split(' ').pop()));
    assert.deepEqual(
      [...buckets].sort((a, b) => a - b),
      buckets,
    );
  });

  it('goes on counting after the registry is reset, and shares series with another server', async () => {
    const registry = new Registry();
    const first = createMetricsInterceptor({ registry });
    const second = createMetricsInterceptor({ registry });
    await callAs(first, 'Get');
    await callAs(second, 'Get');
    await callAs(first, 'Get');
    assert.deepEqual(await lines(registry, 'kith_rpc_requests_total'), [
      'kith_rpc_requests_total{service="kith.test.v1.T",method="Get",code="ok"} 3',
    ]);
    registry.resetMetrics();
    await callAs(first, 'Get');
    await callAs(second, 'Get');
    assert.deepEqual(await lines(registry, 'kith_rpc_requests_total'), [
      'kith_rpc_requests_total{service="kith.test.v1.T",method="Get",code="ok"} 2',
    ]);
    const count = (await lines(registry, 'kith_rpc_duration_seconds')).find((l) =>
      l.startsWith('kith_rpc_duration_seconds_count'),
    );
    assert.match(count!, / 2$/);
  });
});
