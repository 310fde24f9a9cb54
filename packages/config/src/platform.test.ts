import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadEnv } from './env.js';
import { platformEnvSchema, toPlatformConfig, toPlatformSecrets } from './platform.js';

const pageSecret = 'p'.repeat(48);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('platformEnvSchema', () => {
  it('gives a working embedded config from an empty environment', () => {
    const env = loadEnv(platformEnvSchema, {});
    assert.deepEqual(toPlatformConfig(env), {
      mode: 'embedded',
      nodeEnv: 'development',
      logLevel: 'info',
      http: {
        host: '127.0.0.1',
        port: 8080,
        adminPort: null,
        corsAllowedOrigins: [],
        maxBodyBytes: 1024 * 1024,
        trustProxy: false,
        trustProxyCidrs: [],
      },
      db: {
        url: null,
        migrationUrl: null,
        poolMax: 10,
        preparedStatements: 100,
        statementTimeoutMs: 30_000,
      },
      nats: null,
      redis: null,
      dataDir: '.data',
      shutdownGraceMs: 10_000,
      shutdownDrainDelayMs: 0,
      auth: { jwksUrl: null, issuer: 'kith', audience: 'kith' },
      otel: null,
    });
    assert.deepEqual(toPlatformSecrets(env), {
      pageTokenSecret: undefined,
      natsPassword: undefined,
    });
  });

  it('requires DATABASE_URL, NATS_URL and PAGE_TOKEN_SECRET in distributed mode', () => {
    const problems = problemsOf(() => loadEnv(platformEnvSchema, { KITH_MODE: 'distributed' }));
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
      'DATABASE_URL',
      'NATS_URL',
      'PAGE_TOKEN_SECRET',
    ]);
  });

  it('reports the distributed requirements together with unrelated errors', () => {
    const problems = problemsOf(() =>
      loadEnv(platformEnvSchema, { KITH_MODE: 'distributed', PORT: 'http', LOG_LEVEL: 'loud' }),
    );
    const keys = problems.map((p) => p.split(':')[0]);
    for (const key of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'NATS_URL']) {
      assert.ok(keys.includes(key), `${key} missing from ${problems.join(' | ')}`);
    }
  });

  it('builds nested config and keeps secrets apart in distributed mode', () => {
    const env = loadEnv(platformEnvSchema, {
      KITH_MODE: 'distributed',
      PORT: '9001',
      DATABASE_URL: 'postgres://kith:dbpass@db:5432/kith',
      DATABASE_MIGRATION_URL: 'postgres://kith_owner:ownerpass@db:5432/kith',
      NATS_URL: 'nats://nats:4222',
      NATS_USER: 'post',
      NATS_PASSWORD: 'nats-post-password',
      ADMIN_PORT: '9090',
      TRUST_PROXY_CIDRS: '10.0.0.0/8, fd00::/8',
      REDIS_URL: 'redis://redis:6379',
      CORS_ALLOWED_ORIGINS: 'https://app.kith.example,https://admin.kith.example',
      SHUTDOWN_GRACE: '25s',
      DB_STATEMENT_TIMEOUT: '5s',
      DB_PREPARED_STATEMENTS: '0',
      TRUST_PROXY: '2',
      PAGE_TOKEN_SECRET: pageSecret,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_SERVICE_NAME: 'post',
    });
    const config = toPlatformConfig(env);
    assert.equal(config.mode, 'distributed');
    assert.equal(config.http.port, 9001);
    assert.equal(config.http.trustProxy, 2);
    assert.equal(config.http.adminPort, 9090);
    assert.deepEqual(config.http.trustProxyCidrs, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(config.http.corsAllowedOrigins, [
      'https://app.kith.example',
      'https://admin.kith.example',
    ]);
    assert.deepEqual(config.db, {
      url: 'postgres://kith:dbpass@db:5432/kith',
      migrationUrl: 'postgres://kith_owner:ownerpass@db:5432/kith',
      poolMax: 10,
      preparedStatements: 0,
      statementTimeoutMs: 5000,
    });
    assert.deepEqual(config.nats, { url: 'nats://nats:4222', user: 'post' });
    assert.deepEqual(config.redis, { url: 'redis://redis:6379', keyPrefix: 'kith' });
    assert.equal(config.shutdownGraceMs, 25_000);
    assert.deepEqual(config.otel, { endpoint: 'http://otel:4318', serviceName: 'post' });
    assert.ok(!JSON.stringify(config).includes(pageSecret));
    assert.ok(!JSON.stringify(config).includes('nats-post-password'));
    assert.deepEqual(toPlatformSecrets(env), {
      pageTokenSecret: pageSecret,
      natsPassword: 'nats-post-password',
    });
  });

  it('keeps a distributed process listening 5 s after readiness goes off unless told otherwise', () => {
    const base = {
      KITH_MODE: 'distributed',
      DATABASE_URL: 'postgres://db/kith',
      NATS_URL: 'nats://nats:4222',
      PAGE_TOKEN_SECRET: pageSecret,
    };
    assert.equal(toPlatformConfig(loadEnv(platformEnvSchema, base)).shutdownDrainDelayMs, 5000);
    const short = loadEnv(platformEnvSchema, { ...base, SHUTDOWN_GRACE: '4s' });
    assert.equal(toPlatformConfig(short).shutdownDrainDelayMs, 2000);
    const set = loadEnv(platformEnvSchema, { ...base, SHUTDOWN_DRAIN_DELAY: '1500ms' });
    assert.equal(toPlatformConfig(set).shutdownDrainDelayMs, 1500);
  });

  it('refuses a drain delay that leaves no grace for in-flight calls', () => {
    const problems = problemsOf(() =>
      loadEnv(platformEnvSchema, { SHUTDOWN_GRACE: '10s', SHUTDOWN_DRAIN_DELAY: '10s' }),
    );
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['SHUTDOWN_DRAIN_DELAY'],
    );
  });

  it('reads PAGE_TOKEN_SECRET from a mounted file', () => {
    const env = loadEnv(
      platformEnvSchema,
      { PAGE_TOKEN_SECRET_FILE: '/run/secrets/page' },
      { fileReader: () => `${pageSecret}\n` },
    );
    assert.equal(toPlatformSecrets(env).pageTokenSecret, pageSecret);
  });

  it('reads NATS_PASSWORD from a mounted file and wants NATS_USER with it', () => {
    const env = loadEnv(
      platformEnvSchema,
      { NATS_USER: 'gateway', NATS_PASSWORD_FILE: '/run/secrets/nats' },
      { fileReader: () => 'from-the-file\n' },
    );
    assert.equal(toPlatformSecrets(env).natsPassword, 'from-the-file');
    const problems = problemsOf(() =>
      loadEnv(platformEnvSchema, { NATS_PASSWORD: 'lonely-password' }),
    );
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['NATS_USER'],
    );
  });

  it('refuses TRUST_PROXY_CIDRS entries that are not CIDR ranges', () => {
    const problems = problemsOf(() =>
      loadEnv(platformEnvSchema, { TRUST_PROXY_CIDRS: '10.0.0.0/8, 10.0.0.1, 10.0.0.0/33' }),
    );
    assert.equal(problems.length, 2);
    assert.ok(problems.every((p) => p.startsWith('TRUST_PROXY_CIDRS')));
  });

  it('extends with service keys and keeps the distributed-mode rule', () => {
    const postEnvSchema = platformEnvSchema.extend({
      FANOUT_BATCH: z.string().regex(/^\d+$/).transform(Number).default(500),
    });
    const env = loadEnv(postEnvSchema, {});
    assert.equal(env.FANOUT_BATCH, 500);
    assert.equal(toPlatformConfig(env).mode, 'embedded');
    const problems = problemsOf(() =>
      loadEnv(postEnvSchema, { KITH_MODE: 'distributed', FANOUT_BATCH: 'many' }),
    );
    const keys = problems.map((p) => p.split(':')[0]);
    assert.ok(keys.includes('FANOUT_BATCH'));
    assert.ok(keys.includes('DATABASE_URL'));
  });

  it('rejects a database URL with the wrong scheme without echoing it', () => {
    const url = 'mysql://root:topsecret@db/kith';
    const problems = problemsOf(() => loadEnv(platformEnvSchema, { DATABASE_URL: url }));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^DATABASE_URL: /);
    assert.ok(!problems.join('\n').includes('topsecret'));
  });
});
