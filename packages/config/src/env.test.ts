import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadEnv } from './env.js';
import { envBool, envDurationMs, envInt, envList, envUrl, parseDurationMs } from './parsers.js';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-config-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

function writeSecret(name: string, content: string): string {
  const file = path.join(tmpDir, name);
  fs.writeFileSync(file, content);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

const schema = z.object({
  PORT: envInt({ min: 1, max: 65535 }).default(8080),
  VERBOSE: envBool().default(false),
  ORIGINS: envList().default(() => []),
  API_URL: envUrl({ protocols: ['https'] }).optional(),
  TIMEOUT: envDurationMs().default(5000),
  API_SECRET: z.string().min(32).optional(),
});

describe('loadEnv', () => {
  it('applies defaults and parses typed values', () => {
    assert.deepEqual(loadEnv(schema, {}), {
      PORT: 8080,
      VERBOSE: false,
      ORIGINS: [],
      TIMEOUT: 5000,
    });
    const env = loadEnv(schema, {
      PORT: '9000',
      VERBOSE: 'yes',
      ORIGINS: 'https://a.example, https://b.example,,',
      API_URL: 'https://api.example/v1',
      TIMEOUT: '2m',
    });
    assert.equal(env.PORT, 9000);
    assert.equal(env.VERBOSE, true);
    assert.deepEqual(env.ORIGINS, ['https://a.example', 'https://b.example']);
    assert.equal(env.API_URL, 'https://api.example/v1');
    assert.equal(env.TIMEOUT, 120_000);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadEnv(schema, { PORT: '' }).PORT, 8080);
  });

  it('reports every problem at once, one KEY: message per line', () => {
    const error = configError(() =>
      loadEnv(schema, {
        PORT: '70000',
        VERBOSE: 'maybe',
        API_URL: 'http://api.example',
        TIMEOUT: 'soon',
      }),
    );
    const keys = error.problems.map((p) => p.split(':')[0]);
    assert.deepEqual(keys.sort(), ['API_URL', 'PORT', 'TIMEOUT', 'VERBOSE']);
    for (const key of keys) assert.match(error.message, new RegExp(`^  ${key}: .+$`, 'm'));
  });

  it('reads X from X_FILE, trimming one trailing newline', () => {
    const secret = 'a'.repeat(40);
    const file = writeSecret('api-secret', `${secret}\n`);
    assert.equal(loadEnv(schema, { API_SECRET_FILE: file }).API_SECRET, secret);
    const twoNewlines = writeSecret('api-secret-2', `${secret}\n\n`);
    assert.equal(loadEnv(schema, { API_SECRET_FILE: twoNewlines }).API_SECRET, `${secret}\n`);
  });

  it('uses the injected file reader', () => {
    const env = loadEnv(
      schema,
      { PORT_FILE: '/run/secrets/port' },
      { fileReader: (p) => (p === '/run/secrets/port' ? '9090\n' : '') },
    );
    assert.equal(env.PORT, 9090);
  });

  it('rejects X and X_FILE set together, alongside other problems', () => {
    const file = writeSecret('both', 'b'.repeat(40));
    const error = configError(() =>
      loadEnv(schema, { API_SECRET: 'c'.repeat(40), API_SECRET_FILE: file, PORT: 'x' }),
    );
    assert.ok(error.problems.some((p) => /^API_SECRET: .*API_SECRET_FILE/.test(p)));
    assert.ok(error.problems.some((p) => p.startsWith('PORT: ')));
  });

  it('reports an unreadable secret file without throwing early', () => {
    const error = configError(() =>
      loadEnv(schema, { API_SECRET_FILE: path.join(tmpDir, 'missing'), PORT: '0' }),
    );
    assert.ok(
      error.problems.some((p) => /^API_SECRET: cannot read API_SECRET_FILE \(ENOENT\)/.test(p)),
    );
    assert.ok(error.problems.some((p) => p.startsWith('PORT: ')));
  });

  it('never echoes secret values in the error text', () => {
    const shortSecret = 'hunter2-too-short';
    const fromFile = 'file-secret-also-short';
    const file = writeSecret('short', `${fromFile}\n`);
    const direct = configError(() => loadEnv(schema, { API_SECRET: shortSecret }));
    assert.ok(direct.problems.some((p) => p.startsWith('API_SECRET: ')));
    assert.ok(!direct.message.includes(shortSecret));
    const viaFile = configError(() => loadEnv(schema, { API_SECRET_FILE: file }));
    assert.ok(!viaFile.message.includes(fromFile));

    // A careless refinement that interpolates the value is scrubbed too.
    const leaky = z.object({
      DB_PASSWORD: z
        .string()
        .refine((v) => v.length > 30, { error: (i) => `bad ${String(i.input)}` }),
    });
    const leaked = configError(() => loadEnv(leaky, { DB_PASSWORD: 's3cr3t-pass' }));
    assert.ok(!leaked.message.includes('s3cr3t-pass'));
    assert.match(leaked.message, /DB_PASSWORD: bad \[redacted\]/);
  });
});

describe('parseDurationMs', () => {
  it('understands ms, s, m, h and plain milliseconds', () => {
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('5m'), 300_000);
    assert.equal(parseDurationMs('2h'), 7_200_000);
    assert.equal(parseDurationMs('1500'), 1500);
    assert.equal(parseDurationMs('1.5s'), undefined);
    assert.equal(parseDurationMs('-1s'), undefined);
    assert.equal(parseDurationMs('10 minutes'), undefined);
  });
});
