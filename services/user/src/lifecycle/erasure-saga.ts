import { withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { UserDatabase } from '../db/schema.js';
import type { Lifecycle } from './deps.js';
import { ERASURE_ALERT_AFTER_MS, ERASURE_REPUBLISH_MS } from './deps.js';
import { ERASURE_PLAN, eraseFollows, eraseQueuedMail, eraseRows } from './erase-store.js';
import {
  acknowledgedServices,
  deleteErasureSaga,
  deletionOf,
  deletionsToErase,
  erasuresToRepublish,
  insertErasureAck,
  markErasedPublished,
  markErasing,
  markErasureAlerted,
  publishedErasures,
} from './lifecycle-store.js';
import type { LifecycleDb } from './lifecycle-store.js';
import { ownDataExports } from './own-data-store.js';
import { SAGA_SERVICES, exportPrefix, isUuid, serviceSlug } from './participants.js';

/** Test hooks: run after each table's delete committed (a test throws here to "crash"). */
export interface ErasureHooks {
  afterTable?(table: string): void | Promise<void>;
}

type Table = keyof UserDatabase & string;

/** The tables the local erase deletes from, in order (the saga's own state stays till the end). */
export const ERASED_TABLES: readonly Table[] = (
  Object.entries(ERASURE_PLAN) as [Table, { saga?: boolean }][]
)
  .filter(([, plan]) => !plan.saga)
  .map(([table]) => table);

/** Deletes the user's rows from one table in `trx` (follows adjust the other side's counts). */
async function eraseTable(
  lifecycle: Lifecycle,
  trx: Trx<UserDatabase>,
  table: Table,
  userId: string,
): Promise<number> {
  if (table === 'follows') return eraseFollows(trx, userId);
  if (table === 'mail_outbox') return eraseQueuedMail(trx, userId);
  if (table === 'data_exports') {
    // The archives and parts in the export bucket go with their rows.
    const exports = await ownDataExports(trx, userId);
    trx.onCommit(async () => {
      for (const row of exports) await lifecycle.blobs.deletePrefix(exportPrefix(row.id));
    });
  }
  return eraseRows(trx, lifecycle.app.database.schema, table, ERASURE_PLAN[table].columns, userId);
}

/**
 * The user service's own erasure: every table of the schema but the saga's, one transaction
 * per table so a huge account never holds one long transaction. Each delete is idempotent, so
 * after a crash the saga simply runs them all again.
 */
export async function eraseLocally(
  lifecycle: Lifecycle,
  userId: string,
  hooks: ErasureHooks = {},
): Promise<number> {
  let erased = 0;
  for (const table of ERASED_TABLES) {
    erased += await lifecycle.app.database.transaction((trx) =>
      eraseTable(lifecycle, trx, table, userId),
    );
    await hooks.afterTable?.(table);
  }
  return erased;
}

/** Publishes user.erased (and the user service's own acknowledgement) once, under the row lock. */
async function publishErased(lifecycle: Lifecycle, userId: string): Promise<void> {
  const { app } = lifecycle;
  await app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const row = await deletionOf(db, userId, { lock: true });
    if (!row || row.erased_published_at !== null) return;
    const now = app.clock();
    // The user service's last word about the user: nothing of theirs is left here to publish.
    await app.emit(trx, null, { case: 'userErased', value: { userId } });
    await insertErasureAck(db, { userId, service: KithService.USER, at: now });
    await app.emit(trx, null, {
      case: 'dataErasureCompleted',
      value: { userId, service: KithService.USER },
    });
    await markErasedPublished(db, userId, now);
    app.logger.info({ userId }, 'user erased here; user.erased published');
  });
}

/** Whether every participating service (DATA_PARTICIPANTS) acknowledged; then the saga's state goes too. */
async function finishIfAcknowledged(
  lifecycle: Lifecycle,
  trx: Trx<UserDatabase>,
  userId: string,
): Promise<boolean> {
  const db = withTables<LifecycleDb>(trx);
  const acked = new Set(await acknowledgedServices(db, userId));
  if (!lifecycle.participants.every((service) => acked.has(service))) return false;
  // Anything written about the user since the local erase (a late event) goes now, with the
  // saga's own rows: 0 rows for the user are left in the schema.
  for (const table of ERASED_TABLES) await eraseTable(lifecycle, trx, table, userId);
  await deleteErasureSaga(db, userId);
  lifecycle.app.logger.info({ userId }, 'erasure saga complete: every service acknowledged');
  return true;
}

/**
 * One pass of the erasure saga (data_events.proto):
 * 1. deletions whose grace period is over (or that a crash interrupted): the user service
 *    erases its own rows, then publishes user.erased, its last event about the user;
 * 2. sagas still missing an acknowledgement a day after user.erased: erase again and
 *    re-publish (erasure is idempotent everywhere); after 7 days, alert the operators;
 * 3. sagas every service acknowledged: finish (also done by the acknowledgement consumer).
 * Every step is idempotent and the state is in Postgres, so a pass may die anywhere and the
 * next one completes the work. Returns how many sagas it moved.
 */
export async function runErasurePass(
  lifecycle: Lifecycle,
  hooks: ErasureHooks = {},
): Promise<number> {
  const { app } = lifecycle;
  const now = app.clock();
  let moved = 0;

  const due = await app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const rows = await deletionsToErase(db, now, 20);
    for (const row of rows) await markErasing(db, row.user_id, now);
    return rows;
  });
  for (const row of due) {
    await eraseLocally(lifecycle, row.user_id, hooks);
    await publishErased(lifecycle, row.user_id);
    moved++;
  }

  const late = await app.database.transaction((trx) =>
    erasuresToRepublish(
      withTables<LifecycleDb>(trx),
      new Date(now.getTime() - ERASURE_REPUBLISH_MS),
      20,
    ),
  );
  for (const row of late) {
    await eraseLocally(lifecycle, row.user_id, hooks);
    await app.database.transaction(async (trx) => {
      const db = withTables<LifecycleDb>(trx);
      const current = await deletionOf(db, row.user_id, { lock: true });
      if (!current?.erased_published_at) return;
      await app.emit(trx, null, { case: 'userErased', value: { userId: row.user_id } });
      await markErasedPublished(db, row.user_id, now);
      const overdue =
        current.erased_published_at.getTime() <= now.getTime() - ERASURE_ALERT_AFTER_MS;
      const alertedToday =
        current.alerted_at !== null &&
        current.alerted_at.getTime() > now.getTime() - ERASURE_REPUBLISH_MS;
      if (overdue && !alertedToday) {
        const acked = new Set(await acknowledgedServices(db, row.user_id));
        const missing = lifecycle.participants.filter((s) => !acked.has(s)).map(serviceSlug);
        app.logger.error(
          { userId: row.user_id, since: current.erased_published_at, missing },
          'erasure saga unacknowledged for 7 days: user.erased re-published',
        );
        await markErasureAlerted(db, row.user_id, now);
      }
    });
    moved++;
  }

  const running = await app.database.transaction((trx) =>
    publishedErasures(withTables<LifecycleDb>(trx), 100),
  );
  for (const row of running) {
    const finished = await app.database.transaction(async (trx) => {
      const current = await deletionOf(withTables<LifecycleDb>(trx), row.user_id, { lock: true });
      if (!current?.erased_published_at) return false;
      return finishIfAcknowledged(lifecycle, trx, row.user_id);
    });
    if (finished) moved++;
  }
  return moved;
}

/**
 * data.erasure_completed from any service: records the first acknowledgement per service
 * for a running saga (one that published user.erased) and finishes the saga with the last
 * one. An acknowledgement for a user with no running saga (finished, or never) is ignored.
 */
export function collectErasureAcks(lifecycle: Lifecycle): ConsumerSpec<UserDatabase> {
  const { app } = lifecycle;
  return {
    durable: 'lifecycle-erasure-acks',
    subjects: 'kith.events.data.erasure_completed',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'dataErasureCompleted') return;
      const { userId, service } = payload.value;
      if (!SAGA_SERVICES.includes(service) || !isUuid(userId)) return;
      const db = withTables<LifecycleDb>(trx);
      const row = await deletionOf(db, userId, { lock: true });
      if (!row?.erased_published_at) return;
      await insertErasureAck(db, { userId, service, at: app.clock() });
      await finishIfAcknowledged(lifecycle, trx, userId);
    },
  };
}
