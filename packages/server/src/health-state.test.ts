import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from '@kith/gen/grpc/health/v1/health_pb.js';
import { pino } from 'pino';
import { HealthState } from './health-state.js';
import { createKithServer } from './server.js';

function countingCheck(name: string, up: () => boolean = () => true) {
  const check = {
    name,
    runs: 0,
    async check() {
      check.runs += 1;
      if (!up()) throw new Error('down');
    },
  };
  return check;
}

describe('readiness report', () => {
  it('runs each dependency check once per period however many probes ask', async () => {
    let now = 0;
    const database = countingCheck('database');
    const bus = countingCheck('bus');
    const state = new HealthState([database, bus], 1000, { now: () => now });
    await Promise.all([state.report(), state.report(), state.report()]);
    await state.report();
    now = 999;
    assert.deepEqual(await state.report(), { ready: true, failed: [] });
    assert.deepEqual([database.runs, bus.runs], [1, 1]);
    now = 1000;
    await state.report();
    assert.deepEqual([database.runs, bus.runs], [2, 2]);
  });

  it('reports a failure found by the shared run, and the drain and ready flags at once', async () => {
    let now = 0;
    let up = false;
    const database = countingCheck('database', () => up);
    const state = new HealthState([database], 1000, { now: () => now });
    assert.deepEqual(await state.report(), { ready: false, failed: ['database'] });
    up = true;
    assert.deepEqual(await state.report(), { ready: false, failed: ['database'] }, 'cached');
    state.setReady(false);
    assert.deepEqual(await state.report(), { ready: false, failed: ['not ready'] });
    state.setReady(true);
    now = 1000;
    assert.deepEqual(await state.report(), { ready: true, failed: [] });
    state.startDraining();
    assert.deepEqual(await state.report(), { ready: false, failed: ['draining'] });
  });

  it('/readyz and grpc health Check share one run of the checks', async () => {
    const database = countingCheck('database');
    const server = createKithServer({
      logger: pino({ level: 'silent' }),
      port: 0,
      readiness: [database],
      // Long enough that the probes below certainly fall in one period.
      readinessCacheMs: 60_000,
    });
    const { url } = await server.start();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const grpc = createClient(Health, createGrpcTransport({ baseUrl: url }));
      assert.equal((await grpc.check({})).status, Status.SERVING);
      assert.equal(database.runs, 1);
    } finally {
      await server.stop();
    }
  });
});
