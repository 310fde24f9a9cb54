import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { loadEnv, platformEnvSchema, toPlatformConfig, toPlatformSecrets } from '@kith/config';
import { createRootLogger } from '@kith/logging';
import { freePort, waitFor } from '@kith/testkit';
import net from 'node:net';
import { Registry } from 'prom-client';
import { createDistributedInfrastructure } from './infrastructure.js';

// A real nats-server that demands a user and password, as a per-service NATS user in the chart.

describe('NATS_USER and NATS_PASSWORD(_FILE) reach the NATS connection', () => {
  let server: ChildProcess;
  let natsUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-nats-auth-'));
    const port = await freePort();
    server = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-js',
        '-sd',
        dir,
        '--user',
        'post',
        '--pass',
        's3cret-post',
      ],
      { stdio: 'ignore' },
    );
    natsUrl = `nats://127.0.0.1:${port}`;
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          socket.once('connect', () => resolve(true));
          socket.once('error', () => resolve(false));
          socket.setTimeout(500, () => resolve(false));
        }),
      { timeoutMs: 10_000, what: 'nats-server listening' },
    );
  });
  afterAll(async () => {
    server.kill();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function infrastructureFrom(
    env: Record<string, string>,
    files: Record<string, string> = {},
  ) {
    const parsed = loadEnv(
      platformEnvSchema,
      {
        KITH_MODE: 'distributed',
        DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
        PAGE_TOKEN_SECRET: 'p'.repeat(40),
        NATS_URL: natsUrl,
        ...env,
      },
      { fileReader: (file) => files[file] ?? '' },
    );
    return createDistributedInfrastructure({
      config: toPlatformConfig(parsed),
      logger: createRootLogger({ level: 'silent' }),
      metrics: new Registry(),
      name: 'post',
      natsPassword: toPlatformSecrets(parsed).natsPassword,
    });
  }

  test('a service connects with its NATS user and the password from NATS_PASSWORD_FILE', async () => {
    const infrastructure = await infrastructureFrom(
      { NATS_USER: 'post', NATS_PASSWORD_FILE: '/run/secrets/nats' },
      { '/run/secrets/nats': 's3cret-post\n' },
    );
    await infrastructure.bus.ping();
    await infrastructure.close();
  });

  test('without credentials, or with the wrong password, the server refuses the service', async () => {
    await assert.rejects(infrastructureFrom({}));
    await assert.rejects(infrastructureFrom({ NATS_USER: 'post', NATS_PASSWORD: 'wrong' }));
  });
});
