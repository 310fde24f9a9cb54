import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { EscalationTarget, TimelineEntrySchema } from '@kith/gen/kith/support/v1/types_pb.js';
import { createPostgresDatabase } from '@kith/db';
import type { Database } from '@kith/db';
import {
  createTestDatabase,
  distributedEnv,
  freePort,
  requireService,
  waitFor,
} from '@kith/testkit';
import type { TestDatabase } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
import type { SupportDatabase } from '../db/schema.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const databaseUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
const redisUrl = await requireService('redis');
const skip =
  !databaseUrl || !natsUrl || !redisUrl ? 'Postgres, NATS and Redis are required' : false;

/** Eight steps 400 ms apart; the prompt step always fires, so each must appear exactly once. */
const STEPS = Array.from({ length: 8 }, (_, i) => ({
  afterMs: i * 400,
  target: EscalationTarget.EMERGENCY_SERVICES_PROMPT,
}));

describe.skipIf(skip)('the escalation ladder across a SIGKILL of the support process', () => {
  let database: TestDatabase;
  let support: Database<SupportDatabase>;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const port = await freePort();
    child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'services/support/src/main.ts'), 'serve'],
      {
        cwd: repoRoot,
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 100, what: 'support ready' },
    );
  }

  async function kill(): Promise<void> {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  const firedSteps = async (incidentId: string) =>
    (
      await support.db
        .selectFrom('timeline')
        .select('entry')
        .where('incident_id', '=', incidentId)
        .orderBy('sequence')
        .execute()
    )
      .map((r) => fromBinary(TimelineEntrySchema, r.entry))
      .flatMap((e) => (e.event.case === 'escalated' ? [e.event.value.step] : []));

  beforeAll(async () => {
    database = await createTestDatabase(databaseUrl as string, 'kith_ladder');
    env = {
      ...process.env,
      ...distributedEnv(database, { natsUrl: natsUrl!, redisUrl: redisUrl! }),
      AUTH_JWKS_URL: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`,
    };
    const main = path.join(repoRoot, 'services/support/src/main.ts');
    const migrated = spawnSync(process.execPath, ['--import', 'tsx', main, 'migrate'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    assert.equal(migrated.status, 0, 'support migrations');
    await start();
    support = createPostgresDatabase<SupportDatabase>({ url: database.url, schema: 'support' });
  }, 90_000);

  afterAll(async () => {
    await kill();
    await support?.close();
    await database?.drop();
  });

  test('a SIGKILL while steps fire neither skips nor repeats one after the restart', async () => {
    const incidentId = uuidv7();
    const now = new Date();
    await support.db
      .insertInto('incidents')
      .values({
        id: incidentId,
        kind: 2,
        owner_id: uuidv7(),
        circle_ids: [],
        status: 1,
        owner_status: 1,
        reach: 3,
        ladder: JSON.stringify(STEPS),
        next_step_at: now,
        sequence: '0',
        version: '1',
        created_at: now,
        updated_at: now,
      })
      .execute();
    await waitFor(async () => (await firedSteps(incidentId)).length >= 3, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'three steps fired',
    });
    await kill();
    const before = await firedSteps(incidentId);
    assert.ok(before.length < STEPS.length, 'killed while steps were still due');
    await start();
    await waitFor(async () => (await firedSteps(incidentId)).length >= STEPS.length, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'every step fired',
    });
    // Let a repeat show itself if there were one.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      await firedSteps(incidentId),
      STEPS.map((_, i) => i),
    );
    const row = await support.db
      .selectFrom('incidents')
      .select(['current_step', 'next_step_at', 'version', 'sequence'])
      .where('id', '=', incidentId)
      .executeTakeFirstOrThrow();
    assert.equal(row.current_step, STEPS.length - 1);
    assert.equal(row.next_step_at, null);
    assert.equal(row.sequence, String(STEPS.length));
    assert.equal(row.version, String(1 + STEPS.length));
  }, 150_000);
});
