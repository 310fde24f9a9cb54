import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'vitest';
import { createLogger, createRootLogger } from './logger.js';

/** Collects each JSON line the logger writes, parsed. */
function memoryDestination() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { stream, lines };
}

function onlyLine(lines: Record<string, unknown>[]): Record<string, unknown> {
  assert.equal(lines.length, 1);
  return lines[0] as Record<string, unknown>;
}

describe('createRootLogger', () => {
  it('redacts credentials and personal data at the top level', () => {
    const { stream, lines } = memoryDestination();
    const log = createRootLogger({ level: 'info', name: 'auth', destination: stream });
    log.info(
      {
        authorization: 'Bearer top-level-jwt',
        password: 'pw-1',
        newPassword: 'pw-2',
        currentPassword: 'pw-3',
        token: 'tok',
        accessToken: 'at',
        refreshToken: 'rt',
        apiKey: 'ak',
        secret: 'sh',
        email: 'ada@example.com',
        totpCode: '123456',
        cookie: 'sid=abc',
        userId: 'u_1',
      },
      'login',
    );
    const line = onlyLine(lines);
    for (const key of [
      'authorization',
      'password',
      'newPassword',
      'currentPassword',
      'token',
      'accessToken',
      'refreshToken',
      'apiKey',
      'secret',
      'email',
      'totpCode',
      'cookie',
    ]) {
      assert.equal(line[key], '[redacted]', key);
    }
    assert.equal(line.userId, 'u_1');
    assert.equal(line.msg, 'login');
    assert.equal(line.name, 'auth');
  });

  it('redacts nested objects and request headers but keeps other fields', () => {
    const { stream, lines } = memoryDestination();
    const log = createRootLogger({ level: 'info', destination: stream });
    log.info({
      req: {
        method: 'POST',
        url: '/kith.auth.v1.AuthService/Login',
        headers: { authorization: 'Bearer nested-jwt', cookie: 'sid=1', 'user-agent': 'sdk/1' },
      },
      headers: { authorization: 'Basic abc', accept: 'application/json' },
      body: { email: 'bob@example.com', password: 'hunter2', displayName: 'Bob' },
      session: { refreshToken: 'r1', accessToken: 'a1', sid: 's_1' },
    });
    const line = onlyLine(lines);
    assert.deepEqual(line.req, {
      method: 'POST',
      url: '/kith.auth.v1.AuthService/Login',
      headers: { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'sdk/1' },
    });
    assert.deepEqual(line.headers, { authorization: '[redacted]', accept: 'application/json' });
    assert.deepEqual(line.body, {
      email: '[redacted]',
      password: '[redacted]',
      displayName: 'Bob',
    });
    assert.deepEqual(line.session, {
      refreshToken: '[redacted]',
      accessToken: '[redacted]',
      sid: 's_1',
    });
    const raw = JSON.stringify(line);
    for (const secret of ['nested-jwt', 'Basic abc', 'bob@example.com', 'hunter2', 'r1', 'a1']) {
      assert.ok(!raw.includes(secret), secret);
    }
  });

  it('respects the level and extra redact paths', () => {
    const { stream, lines } = memoryDestination();
    const log = createRootLogger({ level: 'warn', destination: stream, redact: ['card.number'] });
    log.info('dropped');
    log.warn({ card: { number: '4111', brand: 'visa' } }, 'kept');
    const line = onlyLine(lines);
    assert.equal(line.msg, 'kept');
    assert.deepEqual(line.card, { number: '[redacted]', brand: 'visa' });
  });
});

describe('createLogger', () => {
  it('tags lines with the subsystem and keeps redaction', () => {
    const { stream, lines } = memoryDestination();
    const root = createRootLogger({ level: 'debug', name: 'post', destination: stream });
    const fanout = createLogger(root, 'post:fanout');
    fanout.debug({ token: 't', followers: 12 }, 'fan-out done');
    const line = onlyLine(lines);
    assert.equal(line.subsystem, 'post:fanout');
    assert.equal(line.name, 'post');
    assert.equal(line.token, '[redacted]');
    assert.equal(line.followers, 12);
  });
});
