import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pino } from 'pino';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';

/** An h2c client session that has received the server's SETTINGS. */
async function connect(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url);
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('close', () => reject(new Error('session closed before SETTINGS')));
  });
  return session;
}

const closed = (session: http2.ClientHttp2Session) =>
  session.closed || session.destroyed
    ? Promise.resolve()
    : new Promise<void>((resolve) => session.once('close', () => resolve()));

/** A GET on the session; resolves with the status. */
function get(session: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    req.on('response', (headers) => resolve(Number(headers[':status'])));
    req.on('error', reject);
    req.resume();
    req.end();
  });
}

describe('h2c session limits', () => {
  let server: KithServer;
  let url: string;

  beforeAll(async () => {
    server = createKithServer({
      logger: pino({ level: 'silent' }),
      port: 0,
      h2: { idleTimeoutMs: 300, maxSessions: 2, maxConcurrentStreams: 16 },
    });
    ({ url } = await server.start());
  });
  afterAll(() => server.stop());

  it('advertises a bound on concurrent streams', async () => {
    const session = await connect(url);
    try {
      assert.equal(session.remoteSettings.maxConcurrentStreams, 16);
    } finally {
      session.destroy();
      await closed(session);
    }
  });

  it('closes a session that stays idle', async () => {
    const session = await connect(url);
    assert.equal(await get(session, '/healthz'), 200);
    let goaway = false;
    session.once('goaway', () => (goaway = true));
    // Nothing else is sent: the server must end the session on its own.
    await closed(session);
    assert.equal(goaway, true, 'closed by the server with GOAWAY');
  });

  it('refuses a session beyond the cap and admits one again when a slot frees', async () => {
    const first = await connect(url);
    const second = await connect(url);
    const third = http2.connect(url);
    third.on('error', () => undefined);
    await closed(third);
    assert.equal(await get(first, '/healthz'), 200, 'admitted sessions keep working');
    first.destroy();
    await closed(first);
    const again = await connect(url);
    assert.equal(await get(again, '/healthz'), 200);
    for (const s of [second, again]) s.destroy();
  });
});
