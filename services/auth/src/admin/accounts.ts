import type { ServiceImpl } from '@connectrpc/connect';
import type { Revocation } from '@kith/authn';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { requireRole } from '@kith/interceptors';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import { changeRole } from './change-role.js';
import { recordStaffAccess } from './staff-access.js';
import { requireStaffStepUp } from './step-up.js';
import { cutAccess } from '../sessions/cut-access.js';
import { recordAudit } from '../audit/audit-log.js';
import { canonicalEmail } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import { requestMeta } from '../request-meta.js';
import { findAccountByCanonicalEmail, findAccountById } from '../accounts/account-store.js';
import { accountView } from './account-view.js';
import type { AccountMessage } from './account-view.js';
import { roleFromProto } from './roles.js';

type AccountAdminHandlers = Pick<
  ServiceImpl<typeof AuthAdminService>,
  'setRole' | 'lookupAccount' | 'disableAccount' | 'enableAccount'
>;

interface Outcome {
  account: AccountMessage;
  revocations: Revocation[];
}

async function lockAccount(trx: Kysely<AuthDatabase>, userId: string): Promise<Account> {
  const account = await findAccountById(trx, userId, { forUpdate: true });
  if (!account) throw new NotFoundError('account not found');
  return account;
}

async function reload(trx: Kysely<AuthDatabase>, userId: string): Promise<AccountMessage> {
  const account = await findAccountById(trx, userId);
  if (!account) throw new NotFoundError('account not found');
  return accountView(trx, account);
}

/** Roles and account disabling. Every method checks for ADMIN before it reads anything. */
export function accountAdminHandlers(app: AuthApp): AccountAdminHandlers {
  const { database, clock } = app;

  return {
    async setRole(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const role = roleFromProto(req.role);
      // An admin demoting themselves could leave no admin at all; someone else must do it.
      if (req.userId === actor.userId)
        throw new FailedPreconditionError('you cannot change your own role');
      await requireStaffStepUp(app, ctx, actor, req.stepUp);
      const now = clock();
      const meta = requestMeta(ctx);
      const outcome = await database.transaction(async (trx): Promise<Outcome> => {
        const account = await lockAccount(trx, req.userId);
        if (account.role === role)
          return { account: await accountView(trx, account), revocations: [] };
        const revocations = await changeRole(app, trx, {
          account,
          role,
          actorId: actor.userId,
          reason: req.reason,
          meta,
          now,
        });
        return { account: await reload(trx, account.id), revocations };
      });
      await app.publishRevocations(outcome.revocations);
      return { account: outcome.account };
    },

    async lookupAccount(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const db = database.db;
      let account: Account | undefined;
      if (req.lookup.case === 'userId') account = await findAccountById(db, req.lookup.value);
      if (req.lookup.case === 'email') {
        account = await findAccountByCanonicalEmail(db, canonicalEmail(req.lookup.value));
      }
      if (!account) throw new NotFoundError('account not found');
      await recordStaffAccess(app, ctx, actor.userId, {
        method: 'LookupAccount',
        target_account_id: account.id,
      });
      return { account: await accountView(db, account) };
    },

    async disableAccount(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      if (req.userId === actor.userId)
        throw new FailedPreconditionError('you cannot disable your own account');
      await requireStaffStepUp(app, ctx, actor, req.stepUp);
      const now = clock();
      const meta = requestMeta(ctx);
      const outcome = await database.transaction(async (trx): Promise<Outcome> => {
        const account = await lockAccount(trx, req.userId);
        // A retry of a disable that already happened changes nothing and records nothing.
        if (account.disabled_at !== null) {
          return { account: await accountView(trx, account), revocations: [] };
        }
        await trx
          .updateTable('accounts')
          .set({
            disabled_at: now,
            disabled_reason: req.reason,
            disabled_by: actor.userId,
            updated_at: now,
          })
          .where('id', '=', account.id)
          .execute();
        const cut = await cutAccess(app, trx, {
          accountId: account.id,
          reason: 'account_disabled',
          revokeSessions: true,
          revokeApiKeys: true,
          actorId: actor.userId,
          now,
        });
        await app.emit(trx, actor.userId, {
          case: 'authAccountDisabled',
          value: { userId: account.id, reason: req.reason, disabledByUserId: actor.userId },
        });
        await recordAudit(trx, {
          type: 'account_disabled',
          accountId: account.id,
          actorId: actor.userId,
          meta,
          details: {
            reason: req.reason,
            revoked_sessions: String(cut.revokedSessions),
            revoked_api_keys: String(cut.revokedApiKeys),
          },
          at: now,
        });
        return { account: await reload(trx, account.id), revocations: cut.revocations };
      });
      await app.publishRevocations(outcome.revocations);
      return { account: outcome.account };
    },

    async enableAccount(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const now = clock();
      const meta = requestMeta(ctx);
      const account = await database.transaction(async (trx) => {
        const account = await lockAccount(trx, req.userId);
        if (account.disabled_at === null) return accountView(trx, account);
        // Sessions and API keys ended by the disable stay ended: the user signs in afresh.
        await trx
          .updateTable('accounts')
          .set({ disabled_at: null, disabled_reason: '', disabled_by: null, updated_at: now })
          .where('id', '=', account.id)
          .execute();
        await app.emit(trx, actor.userId, {
          case: 'authAccountEnabled',
          value: { userId: account.id, enabledByUserId: actor.userId },
        });
        await recordAudit(trx, {
          type: 'account_enabled',
          accountId: account.id,
          actorId: actor.userId,
          meta,
          details: { reason: req.reason },
          at: now,
        });
        return reload(trx, account.id);
      });
      return { account };
    },
  };
}
