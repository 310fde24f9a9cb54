import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { requireService } from '@kith/testkit';
import { context } from '@opentelemetry/api';
import { decodeEvent, encodeEvent, writeEvent, writeEvents } from './events.js';
import { installTracePropagation, spanContext } from './testing/otel.js';
import { createServiceDb, type ServiceDb } from './testing/service-db.js';

installTracePropagation();
const pgUrl = await requireService('postgres');

describe.skipIf(!pgUrl)('event envelope helpers', () => {
  let svc: ServiceDb;
  beforeAll(async () => {
    svc = await createServiceDb(pgUrl as string);
  });
  afterAll(async () => {
    await svc?.teardown();
  });

  it('writeEvent stores one id in envelope, outbox row and subject-addressed message', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const id = await context.with(spanContext(traceId, '10f067aa0ba902b7'), () =>
      svc.database.transaction((trx) =>
        writeEvent(trx, {
          type: 'user.followed',
          source: 'user',
          schemaVersion: 1,
          actor: { kind: { case: 'userId', value: 'u1' } },
          payload: { case: 'userFollowed', value: { followerId: 'u1', followeeId: 'u2' } },
        }),
      ),
    );
    const row = await svc.database.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.subject, 'kith.events.user.followed');
    assert.equal(row.headers.traceparent, `00-${traceId}-10f067aa0ba902b7-01`);
    const event = decodeEvent(new Uint8Array(row.data));
    assert.equal(event.id, id);
    assert.equal(event.trace?.traceparent, row.headers.traceparent);
    assert.ok(event.occurredAt && event.occurredAt.seconds > 0n);
    assert.equal(event.payload.case, 'userFollowed');
    assert.equal(event.payload.value?.followeeId, 'u2');
  });

  it('writeEvents stores several envelopes in their order, each with its own id, or none', async () => {
    const followees = ['u2', 'u3', 'u4'];
    const ids = await svc.database.transaction((trx) =>
      writeEvents(
        trx,
        followees.map((followeeId) => ({
          type: 'user.followed',
          source: 'user',
          schemaVersion: 1,
          payload: { case: 'userFollowed', value: { followerId: 'u1', followeeId } },
        })),
      ),
    );
    assert.equal(new Set(ids).size, 3);
    const rows = await svc.database.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((row) => row.id),
      ids,
      'ids in the order given, which is the order the relay publishes',
    );
    assert.deepEqual(
      rows.map((row) => {
        const event = decodeEvent(new Uint8Array(row.data));
        return [event.id, event.payload.case === 'userFollowed' && event.payload.value.followeeId];
      }),
      ids.map((id, i) => [id, followees[i]]),
    );
    assert.deepEqual(await svc.database.transaction((trx) => writeEvents(trx, [])), []);
  });

  it('encodeEvent and decodeEvent round-trip an envelope', () => {
    const bytes = encodeEvent({
      id: '01890000-0000-7000-8000-000000000000',
      type: 'user.followed',
      source: 'user',
    });
    const event = decodeEvent(bytes);
    assert.equal(event.type, 'user.followed');
    assert.equal(event.source, 'user');
  });
});
