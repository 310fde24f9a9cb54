import assert from 'node:assert/strict';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort } from '@kith/testkit';
import { mailerContract } from './mailer-contract.js';
import { createSmtpMailer, parseSmtpUrl, SmtpConfigError } from './smtp-mailer.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const FROM = 'Kith <no-reply@kith.example>';
const USER = 'kith@relay.test';
const PASS = 'pä$$:/@word';
const message = { to: 'ana@example.com', subject: 'Oi', text: 'Olá — ✓' };

/** Everything an error exposes to a logger: message, stack and own properties. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const own = Object.fromEntries(
    Object.getOwnPropertyNames(err).map((k) => [k, (err as never)[k]]),
  );
  return `${String(err)} ${err.stack ?? ''} ${JSON.stringify(own)}`;
}

function assertNoSecret(text: string): void {
  assert.ok(!text.includes(PASS), 'password in error');
  assert.ok(!text.includes(encodeURIComponent(PASS)), 'encoded password in error');
  const plain = Buffer.from(`\0${USER}\0${PASS}`).toString('base64');
  assert.ok(!text.includes(plain), 'AUTH PLAIN payload in error');
}

mailerContract('SMTP', async () => {
  const server = await startSmtpServer({ user: USER, pass: PASS });
  return {
    mailer: createSmtpMailer({ url: server.url(USER, PASS), from: FROM }),
    from: FROM,
    delivered: async () => {
      // Each delivery came over a session that logged in with AUTH PLAIN.
      assert.ok(server.logins.every((l) => l.method === 'PLAIN' && l.ok));
      return server.delivered;
    },
    teardown: () => server.close(),
  };
});

describe('SMTP mailer', () => {
  let server: TestSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({ user: USER, pass: PASS });
  });
  afterAll(() => server?.close());

  it('logs in with AUTH PLAIN and the URL-decoded credentials', async () => {
    const mailer = createSmtpMailer({ url: server.url(USER, PASS), from: FROM });
    try {
      const before = server.delivered.length;
      await mailer.send(message);
      assert.equal(server.delivered.length, before + 1);
      assert.deepEqual(server.logins.at(-1), { method: 'PLAIN', username: USER, ok: true });
    } finally {
      await mailer.close();
    }
  });

  it('rejects on a wrong password, without the password in the error', async () => {
    const before = server.delivered.length;
    const mailer = createSmtpMailer({ url: server.url(USER, 'wrong'), from: FROM });
    try {
      const err = await mailer.send(message).then(
        () => assert.fail('send succeeded'),
        (e: unknown) => e,
      );
      assert.match(String(err), /Invalid login|535|auth/i);
      assertNoSecret(errorText(err));
      assert.deepEqual(server.logins.at(-1), { method: 'PLAIN', username: USER, ok: false });
      assert.equal(server.delivered.length, before);
    } finally {
      await mailer.close();
    }
  });

  it('rejects without credentials: the server requires AUTH', async () => {
    const before = server.delivered.length;
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${server.port}`, from: FROM });
    try {
      await assert.rejects(mailer.send(message), /auth|530/i);
      assert.equal(server.delivered.length, before);
    } finally {
      await mailer.close();
    }
  });

  it('rejects quickly when nothing listens on the port', async () => {
    const port = await freePort();
    const mailer = createSmtpMailer({
      url: `smtp://${USER}:x@127.0.0.1:${port}`,
      from: FROM,
      timeoutMs: 500,
    });
    try {
      const started = Date.now();
      await assert.rejects(mailer.send(message), /ECONNREFUSED|connect/i);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    } finally {
      await mailer.close();
    }
  });

  it('gives up on a server that accepts the connection but never greets, after the timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    const mailer = createSmtpMailer({
      url: `smtp://u:p@127.0.0.1:${port}`,
      from: FROM,
      timeoutMs: 300,
    });
    try {
      const started = Date.now();
      await assert.rejects(mailer.send(message), /timeout|timed out|greeting/i);
      const took = Date.now() - started;
      assert.ok(took >= 250, `gave up before the timeout: ${took} ms`);
      assert.ok(took < 5_000, `took ${took} ms`);
      assert.ok(sockets.size >= 1, 'it did connect');
    } finally {
      await mailer.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('waits for deliveries in flight on close, then refuses new ones', async () => {
    const mailer = createSmtpMailer({ url: server.url(USER, PASS), from: FROM });
    const before = server.delivered.length;
    const sending = mailer.send(message);
    await mailer.close();
    await sending;
    assert.equal(server.delivered.length, before + 1);
    await assert.rejects(mailer.send(message), /closed/);
  });
});

describe('SMTP url', () => {
  it('reads host, port, TLS mode and URL-encoded credentials', () => {
    assert.deepEqual(parseSmtpUrl('smtp://u%40x:p%3Aw@mail.example:2525'), {
      host: 'mail.example',
      port: 2525,
      secure: false,
      auth: { user: 'u@x', pass: 'p:w' },
    });
    assert.deepEqual(parseSmtpUrl('smtps://mail.example'), {
      host: 'mail.example',
      port: 465,
      secure: true,
    });
    assert.equal(parseSmtpUrl('smtp://[::1]').host, '::1');
    assert.equal(parseSmtpUrl('smtp://mail.example').port, 587);
  });

  it('refuses other schemes and options in the query, never echoing the password', () => {
    for (const url of [
      `http://u:${PASS}@mail.example`,
      `smtp://u:${encodeURIComponent(PASS)}@mail.example?debug=true`,
      `smtp://u:${encodeURIComponent(PASS)}@mail.example/path`,
      `smtp://u:${PASS} @@ not a url`,
      `not a url ${PASS}`,
    ]) {
      const err = (() => {
        try {
          createSmtpMailer({ url, from: FROM });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(err instanceof SmtpConfigError, url);
      assertNoSecret(errorText(err));
    }
  });
});
