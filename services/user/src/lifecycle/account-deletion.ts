import crypto from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { requireRecentAuth } from '@kith/authn';
import { withTables } from '@kith/db';
import { FailedPreconditionError } from '@kith/errors';
import type { AccountDeletionSchema } from '@kith/gen/kith/user/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { setDeletionScheduled } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import type { Lifecycle } from './deps.js';
import { DELETION_GRACE_MS } from './deps.js';
import {
  deleteGraceDeletion,
  deletionOf,
  insertDeletion,
  insertDeletionFeedback,
} from './lifecycle-store.js';
import type { AccountDeletionRow, LifecycleDb } from './lifecycle-store.js';

type AccountDeletionInit = MessageInitShape<typeof AccountDeletionSchema>;

function toAccountDeletion(row: AccountDeletionRow): AccountDeletionInit {
  return {
    requestedAt: timestampFromDate(row.requested_at),
    scheduledFor: timestampFromDate(row.scheduled_for),
  };
}

/**
 * Schedules the caller's erasure at the end of the grace period. Needs a proof of identity
 * within the last hour (ADR 0012: the access token's auth_time). The profile is hidden at once
 * and user.erasure_requested goes out in the same transaction. Asking again while a deletion
 * is pending answers the pending one: the grace period never restarts. The optional reason is
 * stored with no link to the user.
 */
export async function requestAccountDeletion(
  lifecycle: Lifecycle,
  caller: SignedInCaller,
  input: { reason: string },
): Promise<AccountDeletionInit> {
  requireRecentAuth(caller.principal, caller.now);
  const { app } = lifecycle;
  const userId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const pending = await deletionOf(db, userId, { lock: true });
    if (pending) return toAccountDeletion(pending);
    const row = await insertDeletion(db, {
      userId,
      requestedAt: now,
      scheduledFor: new Date(now.getTime() + DELETION_GRACE_MS),
    });
    await setDeletionScheduled(withTables<ProfilesDb>(trx), userId, row.scheduled_for);
    const reason = input.reason.trim();
    if (reason) {
      await insertDeletionFeedback(db, {
        id: crypto.randomUUID(),
        reason,
        receivedOn: now.toISOString().slice(0, 10),
      });
    }
    await app.emit(trx, userId, {
      case: 'userErasureRequested',
      value: { userId, scheduledFor: timestampFromDate(row.scheduled_for) },
    });
    app.logger.info({ userId, scheduledFor: row.scheduled_for }, 'account deletion scheduled');
    return toAccountDeletion(row);
  });
}

/**
 * Cancels the caller's pending deletion and shows the profile again. Succeeds when none is
 * pending; FailedPrecondition once the grace period is over (the erasure has begun).
 */
export async function cancelAccountDeletion(
  lifecycle: Lifecycle,
  caller: SignedInCaller,
): Promise<void> {
  const { app } = lifecycle;
  const userId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const pending = await deletionOf(db, userId, { lock: true });
    if (!pending) return;
    if (pending.erasing_since !== null || pending.scheduled_for <= caller.now) {
      throw new FailedPreconditionError('the grace period is over: the account is being erased');
    }
    await deleteGraceDeletion(db, userId);
    await setDeletionScheduled(withTables<ProfilesDb>(trx), userId, null);
    app.logger.info({ userId }, 'account deletion cancelled');
  });
}

/**
 * The user's pending deletion, for GetSettings (`pending_deletion`); undefined when none. The
 * profiles area calls this: it reads the lifecycle table through this function only.
 */
export async function pendingDeletionOf(
  db: Kysely<LifecycleDb>,
  userId: string,
): Promise<AccountDeletionInit | undefined> {
  const row = await deletionOf(db, userId);
  return row ? toAccountDeletion(row) : undefined;
}
