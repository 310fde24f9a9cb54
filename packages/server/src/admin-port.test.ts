import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from '@kith/gen/grpc/health/v1/health_pb.js';
import { pino } from 'pino';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';
import { registerSlowService } from './test-service.js';

const run = promisify(execFile);
const buf = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../node_modules/.bin/buf',
);
const logger = pino({ level: 'silent' });

/** Services listed by the real `buf curl` reflection client; throws when reflection fails. */
async function listServices(url: string): Promise<string[]> {
  const { stdout } = await run(
    buf,
    ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-services', url],
    { timeout: 30_000 },
  );
  return stdout.split('\n').filter(Boolean);
}

function serverWith(adminPort: number | undefined, dependency: { up: boolean }) {
  return createKithServer({
    logger,
    port: 0,
    adminPort,
    routes: (router) => registerSlowService(router, { count: 0 }),
    readiness: [
      {
        name: 'database',
        check: async () => {
          if (!dependency.up) throw new Error('down');
        },
      },
    ],
    // The tests flip the dependency and probe at once: no shared report between probes.
    readinessCacheMs: 0,
  });
}

describe('ADMIN_PORT set: operator surfaces leave the API port', () => {
  let server: KithServer;
  let url: string;
  let adminUrl: string;
  const dependency = { up: true };

  beforeAll(async () => {
    server = serverWith(0, dependency);
    const started = await server.start();
    url = started.url;
    adminUrl = started.adminUrl!;
    assert.notEqual(started.adminPort, started.port);
  });
  afterAll(() => server.stop());

  it('the API port has no /metrics and no reflection; the admin port has both', async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 404);
    await assert.rejects(listServices(url));
    const metrics = await fetch(`${adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /process_cpu_user_seconds_total/);
    assert.ok((await listServices(adminUrl)).includes('kith.test.v1.SlowService'));
  });

  it('the API port keeps /healthz, a bare /readyz and grpc.health; details only on admin', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
    assert.equal((await health.check({})).status, Status.SERVING);
    dependency.up = false;
    try {
      const bare = await fetch(`${url}/readyz`);
      assert.equal(bare.status, 503);
      assert.deepEqual(await bare.json(), { status: 'not ready' });
      const detailed = await fetch(`${adminUrl}/readyz`);
      assert.equal(detailed.status, 503);
      assert.deepEqual(await detailed.json(), { status: 'not ready', failed: ['database'] });
    } finally {
      dependency.up = true;
    }
  });
});

describe('ADMIN_PORT unset: one port serves everything, as before', () => {
  let server: KithServer;
  let url: string;
  const dependency = { up: true };

  beforeAll(async () => {
    server = serverWith(undefined, dependency);
    const started = await server.start();
    url = started.url;
    assert.equal(started.adminUrl, undefined);
  });
  afterAll(() => server.stop());

  it('serves /metrics, reflection and the readiness detail on the API port', async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.ok((await listServices(url)).includes('kith.test.v1.SlowService'));
    dependency.up = false;
    try {
      assert.deepEqual(await (await fetch(`${url}/readyz`)).json(), {
        status: 'not ready',
        failed: ['database'],
      });
    } finally {
      dependency.up = true;
    }
  });
});
