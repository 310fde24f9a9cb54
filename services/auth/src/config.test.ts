import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createSmtpMailer } from '@kith/mail';
import { startSmtpServer } from '@kith/mail/testing';
import type { TestSmtpServer } from '@kith/mail/testing';
import { loadAuthConfig } from './config.js';

const distributed = (env: Record<string, string> = {}) => ({
  KITH_MODE: 'distributed',
  AUTH_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
  AUTH_MAIL_TO_FILES: 'true',
  ...env,
});

describe('auth configuration at start', () => {
  it('refuses an access-token lifetime that would outlive its revocation entries', () => {
    assert.throws(
      () => loadAuthConfig({ AUTH_ACCESS_TOKEN_TTL: '20m' }),
      /AUTH_ACCESS_TOKEN_TTL.*at most 1140 s/s,
    );
    assert.throws(() => loadAuthConfig(distributed({ AUTH_ACCESS_TOKEN_TTL: '1h' })), /1140 s/);
    assert.equal(
      loadAuthConfig({ AUTH_ACCESS_TOKEN_TTL: '19m' }).config.accessTokenTtlMs,
      1_140_000,
    );
    assert.equal(loadAuthConfig({}).config.accessTokenTtlMs, 600_000, 'the default fits');
  });

  describe('mail in distributed mode', () => {
    let smtp: TestSmtpServer;
    beforeAll(async () => {
      smtp = await startSmtpServer({ user: 'kith', pass: 'smtp-secret' });
    });
    afterAll(() => smtp.close());

    /** Sends one message the way auth builds its mailer from the configuration. */
    async function send(env: Record<string, string>) {
      const { config } = loadAuthConfig(env);
      const mailer = createSmtpMailer({
        url: config.smtpUrl!,
        from: config.mailFrom,
        requireTls: config.smtpRequireTls,
        timeoutMs: 2_000,
      });
      try {
        await mailer.send({ to: 'ana@example.com', subject: 'Reset', text: 'a secret link' });
      } finally {
        await mailer.close();
      }
    }

    it('never sends over a connection without TLS', async () => {
      const before = smtp.delivered.length;
      const loginsBefore = smtp.logins.length;
      await assert.rejects(send(distributed({ SMTP_URL: smtp.url('kith', 'smtp-secret') })));
      assert.equal(smtp.delivered.length, before, 'nothing went out in plain text');
      assert.deepEqual(smtp.logins.slice(loginsBefore), [], 'the password was never sent either');
    });

    it('sends in plain text to a local relay only when explicitly told to', async () => {
      const before = smtp.delivered.length;
      await send(
        distributed({
          SMTP_URL: smtp.url('kith', 'smtp-secret'),
          AUTH_SMTP_INSECURE_PLAINTEXT_LOCAL_RELAY: 'true',
        }),
      );
      assert.equal(smtp.delivered.length, before + 1);
    });
  });
});
