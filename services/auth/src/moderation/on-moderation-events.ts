import { isUuid } from '@kith/bus';
import { accountEnforcementOf, decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import { findAccountById } from '../accounts/account-store.js';
import { lockoutOf } from '../accounts/lockout.js';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import { cutAccess, invalidateAccessTokens } from '../sessions/cut-access.js';
import { applyAccountEnforcement } from './enforcement-store.js';

/** Moderation events that never concern auth: acknowledged without a transaction. */
const IGNORED = [
  'moderation.report_filed',
  'moderation.report_decided',
  'moderation.appeal_resolved',
];

/**
 * Moderation's account enforcement (moderation.account_actioned, and action_reversed on a user
 * subject), applied by the account's enforcement version: an older or replayed event changes
 * nothing, so a replayed suspension after its reversal does not suspend again.
 *
 * When the account becomes suspended or banned, everything of it ends at once, as a staff
 * disabling ends it (cutAccess: sessions, refresh tokens, access tokens, API keys, known devices,
 * with auth.session_revoked, auth.tokens_invalidated and auth.api_key_revoked, so sockets close
 * and services drop cached principals and grants). While it lasts, accounts/lockout.ts refuses
 * every credential but a restricted session: the user can still sign in to read the decision,
 * appeal it and export their data. A reversal ends the restriction at once
 * (auth.tokens_invalidated, reason RESTRICTION_LIFTED); a suspension's `until` passing ends it
 * for every token minted after it. Nothing the lockout ended comes back. `limited` is stored
 * only.
 */
export function onModerationEvents(app: AuthApp): ConsumerSpec<AuthDatabase> {
  return {
    durable: 'accounts-from-moderation',
    subjects: 'kith.events.moderation.>',
    ignores: IGNORED,
    async handle(trx, message) {
      const event = accountEnforcementOf(decodeEvent(message.data).payload);
      if (!event) return;
      const { userId, version, enforcement: next } = event;
      if (!isUuid(userId)) return;
      const account = await findAccountById(trx, userId, { forUpdate: true });
      if (!account) return;
      if (!(await applyAccountEnforcement(trx, account.id, version, next))) return;
      const now = app.clock();
      const before = lockoutOf(account, now);
      const after = lockoutOf(
        {
          disabled_at: account.disabled_at,
          moderation_banned: next.banned,
          moderation_suspended: next.suspended,
          moderation_suspended_until: next.suspendedUntil,
        },
        now,
      );
      if (after === null && (before === 'banned' || before === 'suspended')) {
        // The restricted sessions' tokens die now, so their clients refresh at once, and the
        // refresh mints a full pair: tokens carry the restriction as they carry the role.
        await invalidateAccessTokens(app, trx, {
          accountId: account.id,
          reason: 'restriction_lifted',
          actorId: null,
          now,
        });
        app.logger.info(
          { userId: account.id, version: version.toString(), lifted: before },
          'moderation lockout lifted',
        );
        return;
      }
      // Already locked out (disabled, or suspended still): nothing of it is left to end.
      if (before !== null || (after !== 'banned' && after !== 'suspended')) return;
      const cut = await cutAccess(app, trx, {
        accountId: account.id,
        reason: after === 'banned' ? 'account_banned' : 'account_suspended',
        revokeSessions: true,
        revokeApiKeys: true,
        // Auth acts, not the moderator: the moderator is never named to the actioned user.
        actorId: null,
        now,
      });
      app.logger.info(
        { userId: account.id, version: version.toString(), lockout: after, ...cut },
        'moderation lockout applied',
      );
    },
  };
}
