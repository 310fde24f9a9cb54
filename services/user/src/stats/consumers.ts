import { timestampDate } from '@bufbuild/protobuf/wkt';
import { withTables } from '@kith/db';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { UserApp } from '../app.js';
import { NOTIFICATION_CREATED } from '../notifications/consumers.js';
import type { UserDatabase } from '../db/schema.js';
import { ERASURE_REPUBLISH_MS } from '../lifecycle/deps.js';
import { dayOf } from './days.js';
import {
  bump,
  closeMute,
  deleteAccount,
  firstErasedPublishedAt,
  insertAccount,
  markActive,
  markVerified,
  openMute,
} from './stats-store.js';
import type { StatsDb } from './stats-store.js';

/**
 * The day an event counts on: when it happened (the envelope's occurred_at), not when it was
 * consumed, so a backlog after an outage still lands on the right days.
 */
function eventDay(app: UserApp, data: Uint8Array) {
  const envelope = decodeEvent(data);
  const at = envelope.occurredAt ? timestampDate(envelope.occurredAt) : app.clock();
  return { payload: envelope.payload, day: dayOf(at), at };
}

/**
 * Whether a user.erased is the saga's re-publication (it publishes again at most every
 * ERASURE_REPUBLISH_MS while a service has not acknowledged): it occurred well after the first.
 */
async function republished(db: Kysely<UserDatabase>, userId: string, at: Date): Promise<boolean> {
  const first = await firstErasedPublishedAt(withTables(db), userId);
  return first !== undefined && at.getTime() - first.getTime() >= ERASURE_REPUBLISH_MS / 2;
}

/**
 * Sign-ups, verifications and activity from auth's events. Everything happens in the consumer's
 * transaction, whose inbox row skips a redelivered message: no counter counts an event twice.
 */
export function statsFromAuthEvents(app: UserApp): ConsumerSpec<UserDatabase> {
  return {
    durable: 'stats-from-auth',
    subjects: 'kith.events.auth.>',
    async handle(trx, message) {
      const { payload, day } = eventDay(app, message.data);
      const db = withTables<StatsDb>(trx);
      switch (payload.case) {
        case 'authUserRegistered':
          if (await insertAccount(db, payload.value.userId, day)) await bump(db, 'sign_ups', day);
          break;
        case 'authEmailVerified': {
          // Only the first verification: a verified address changed later verifies again.
          const registeredDay = await markVerified(db, payload.value.userId);
          if (registeredDay !== undefined) {
            await bump(db, 'verified_sign_ups', registeredDay);
            await bump(db, 'users_verified', day);
          }
          break;
        }
        case 'authRegistrationExpired':
          // Never verified, so never counted among the users; the sign-up itself stays counted.
          await deleteAccount(db, payload.value.userId);
          break;
        case 'authLoginSucceeded':
        case 'authUserActive':
          await markActive(db, payload.value.userId, day);
          break;
        default:
          break;
      }
    },
  };
}

/** Social-graph activity, deletions, erasures and exports from the service's own outbox. */
export function statsFromUserEvents(app: UserApp): ConsumerSpec<UserDatabase> {
  return {
    durable: 'stats-from-user',
    subjects: 'kith.events.user.>',
    ignores: [NOTIFICATION_CREATED],
    async handle(trx, message) {
      const { payload, day, at } = eventDay(app, message.data);
      const db = withTables<StatsDb>(trx);
      switch (payload.case) {
        case 'userFollowed':
          await bump(db, 'follows', day);
          break;
        case 'userUnfollowed':
          await bump(db, 'unfollows', day);
          break;
        case 'userFollowRequested':
          await bump(db, 'follow_requests', day);
          break;
        case 'userBlocked':
          await bump(db, 'blocks', day);
          break;
        case 'userMuted':
          // user.muted also announces a changed mute: only a mute not already in force counts.
          if (await openMute(db, payload.value.muterId, payload.value.mutedId)) {
            await bump(db, 'mutes', day);
          }
          break;
        case 'userUnmuted':
          await closeMute(db, payload.value.muterId, payload.value.mutedId);
          break;
        case 'userErasureRequested':
          await bump(db, 'deletions_requested', day);
          break;
        case 'userExportRequested':
          await bump(db, 'data_exports', day);
          break;
        case 'userErased':
          // Only a signed-in user can ask for erasure, so the account was a verified one; the
          // erasure saga already deleted its stats_accounts row (ERASURE_PLAN), deleting again
          // covers a late event. The saga's daily re-publications are not new erasures.
          if (await republished(trx, payload.value.userId, at)) break;
          await bump(db, 'accounts_erased', day);
          await bump(db, 'users_erased', day);
          await deleteAccount(db, payload.value.userId);
          break;
        default:
          break;
      }
    },
  };
}
