import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { provideServices } from './provide-services.js';
import type { StartedService } from './provide-services.js';
import { findService, requireService } from './services.js';
import type { ServiceName } from './services.js';

const allSet = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  NATS_URL: 'nats://127.0.0.1:4222',
};

/** A Docker probe that answers as told and counts how often it was asked. */
function probe(answers: boolean) {
  const asked = { count: 0 };
  return { asked, dockerAnswers: async () => (asked.count++, answers) };
}

/** Stands in for testcontainers (no Docker engine here): records what was started and stopped. */
function containers(fail: ServiceName[] = []) {
  const started: ServiceName[] = [];
  const stopped: ServiceName[] = [];
  const startContainer = async (name: ServiceName): Promise<StartedService> => {
    if (fail.includes(name)) throw new Error(`no image for ${name}`);
    started.push(name);
    return { url: `${name}://container.test:1`, stop: async () => void stopped.push(name) };
  };
  return { started, stopped, startContainer };
}

describe('where the test run gets Postgres, Redis and NATS', () => {
  test('variables that are set are used as they are; Docker is not even asked', async () => {
    const env = { ...allSet };
    const docker = probe(true);
    const run = containers();
    const provided = await provideServices({ env, ...docker, ...run });
    assert.deepEqual(env, allSet);
    assert.equal(docker.asked.count, 0);
    assert.deepEqual(run.started, []);
    assert.equal(provided.started, 0);
  });

  test('unset and no Docker engine: nothing starts, and the tests skip with a reason or fail under CI', async () => {
    const env: NodeJS.ProcessEnv = {};
    const docker = probe(false);
    const run = containers();
    const warnings: string[] = [];
    await provideServices({ env, ...docker, ...run, warn: (m) => warnings.push(m) });
    assert.equal(docker.asked.count, 1);
    assert.deepEqual(run.started, []);
    assert.deepEqual(env, {});

    assert.deepEqual(await findService('postgres', env), {
      reason: 'DATABASE_URL is not set and no Docker container was started for it',
    });
    assert.equal(await requireService('postgres', env), undefined);
    await assert.rejects(
      requireService('redis', { CI: 'true' }),
      /REDIS_URL is not set and no Docker container was started for it.*required because CI=true/,
    );
  });

  test('unset and Docker answers: each missing service starts in a container and its variable is set', async () => {
    const env: NodeJS.ProcessEnv = { DATABASE_URL: allSet.DATABASE_URL };
    const docker = probe(true);
    const run = containers();
    const provided = await provideServices({ env, ...docker, ...run });
    assert.deepEqual(run.started, ['redis', 'nats'], 'Postgres came from DATABASE_URL');
    assert.deepEqual(env, {
      DATABASE_URL: allSet.DATABASE_URL,
      REDIS_URL: 'redis://container.test:1',
      NATS_URL: 'nats://container.test:1',
    });
    assert.equal(provided.started, 2);
    await provided.stop();
    assert.deepEqual(run.stopped.sort(), ['nats', 'redis']);
  });

  test('a container that fails to start leaves its variable unset, with a warning; the others run', async () => {
    const env: NodeJS.ProcessEnv = {};
    const run = containers(['nats']);
    const warnings: string[] = [];
    await provideServices({ env, ...probe(true), ...run, warn: (m) => warnings.push(m) });
    assert.deepEqual(run.started, ['postgres', 'redis']);
    assert.equal(env.NATS_URL, undefined);
    assert.match(
      warnings.join('\n'),
      /Docker answered but nats did not start: Error: no image for nats/,
    );
  });
});
