import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Interceptor, Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createRootLogger } from '@kith/logging';
import { startEmbedded } from '@kith/runtime';
import type { RunningKith, ServiceModule } from '@kith/runtime';
import { manualClock } from './manual-clock.js';
import type { ManualClock } from './manual-clock.js';

export interface ServiceHarness {
  kith: RunningKith;
  clock: ManualClock;
  url: string;
  /** A Connect transport to the process that sends `headers` with every call. */
  transport(headers?: Record<string, string>): Transport;
  /** Stops the process and removes its data dir. */
  stop(): Promise<void>;
}

function headerInterceptor(headers: Record<string, string>): Interceptor {
  return (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
}

/**
 * `modules` in one embedded process (PGlite in memory, the in-process bus, memory caches) on a
 * free loopback port, with a manual clock and a silent logger. It trusts one proxy hop, so a
 * test can speak from an address of its own (`X-Forwarded-For`, see `freshIp`). `env` adds to
 * (or overrides) what every harness sets. A module's test-only overrides go through its typed
 * `create(ctx, overrides)`: wrap it in `modules`.
 */
export async function startServiceHarness(options: {
  modules: ServiceModule[];
  clock?: ManualClock;
  env?: Record<string, string>;
}): Promise<ServiceHarness> {
  const clock = options.clock ?? manualClock();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-harness-'));
  let kith: RunningKith;
  try {
    kith = await startEmbedded(options.modules, {
      inMemory: true,
      clock: () => clock.now(),
      logger: createRootLogger({
        level: (process.env.KITH_TEST_LOG_LEVEL as 'error' | undefined) ?? 'silent',
      }),
      env: { PORT: '0', KITH_DATA_DIR: dataDir, TRUST_PROXY: '1', ...options.env },
    });
  } catch (err) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    kith,
    clock,
    url: kith.url,
    transport: (headers = {}) =>
      createConnectTransport({
        baseUrl: kith.url,
        httpVersion: '1.1',
        interceptors: [headerInterceptor(headers)],
      }),
    async stop() {
      await kith.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
