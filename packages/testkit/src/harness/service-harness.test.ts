import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { defineService } from '@kith/runtime';
import type { ServiceContext } from '@kith/runtime';
import { expect, test } from 'vitest';
import { freshIp } from './client-address.js';
import { manualClock } from './manual-clock.js';
import { startServiceHarness } from './service-harness.js';

test('boots a module on a free port with the manual clock, the env given, and a trusted proxy hop', async () => {
  let seen: ServiceContext | undefined;
  const clock = manualClock(new Date('2026-06-01T12:00:00.000Z'));
  const module = defineService({
    name: 'support',
    services: [],
    create(ctx) {
      seen = ctx;
      return {
        http: {
          'GET /whoami': (req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            // An HTTP/1.1 request, as fetch sends it.
            const address = ctx.clientAddress(req as IncomingMessage);
            res.end(`${address} ${ctx.clock().toISOString()}`);
          },
        },
      };
    },
  });
  const h = await startServiceHarness({
    modules: [module],
    clock,
    env: { KITH_TEST_MARKER: 'given' },
  });
  const dataDir = h.kith.config.dataDir;
  try {
    assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(seen?.env.KITH_TEST_MARKER, 'given');
    clock.advance(60_000);
    const ip = freshIp();
    const answer = await fetch(`${h.url}/whoami`, { headers: { 'x-forwarded-for': ip } });
    expect(await answer.text()).toBe(`${ip} 2026-06-01T12:01:00.000Z`);
    assert.notEqual(freshIp(), ip, 'every fresh address is new');
  } finally {
    await h.stop();
  }
  assert.equal(fs.existsSync(dataDir), false, 'stop removes the data dir');
});
