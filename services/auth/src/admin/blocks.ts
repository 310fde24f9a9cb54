import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { IpBlockScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { EmailDomainBlockSchema, IpBlockSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import { requireRole } from '@kith/interceptors';
import type { Selectable } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AuthApp } from '../app.js';
import { newestFirstPage } from '../db/paging.js';
import { recordAudit } from '../audit/audit-log.js';
import { emailDomain, InvalidEmailError } from '../credentials/index.js';
import type { EmailDomainBlockTable, IpBlockTable } from '../db/schema.js';
import { requestMeta } from '../request-meta.js';
import { parseCidr } from './cidr.js';

type BlockHandlers = Pick<
  ServiceImpl<typeof AuthAdminService>,
  | 'createIpBlock'
  | 'listIpBlocks'
  | 'deleteIpBlock'
  | 'createEmailDomainBlock'
  | 'listEmailDomainBlocks'
  | 'deleteEmailDomainBlock'
>;

const SCOPES: Partial<Record<IpBlockScope, IpBlockTable['scope']>> = {
  [IpBlockScope.SIGN_UP]: 'sign_up',
  [IpBlockScope.ALL]: 'all',
};

function toIpBlock(row: Selectable<IpBlockTable>): MessageInitShape<typeof IpBlockSchema> {
  return {
    ipBlockId: row.id,
    cidr: row.cidr,
    scope: row.scope === 'all' ? IpBlockScope.ALL : IpBlockScope.SIGN_UP,
    reason: row.reason,
    createdByUserId: row.created_by,
    createdAt: timestampFromDate(row.created_at),
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
  };
}

function toEmailDomainBlock(
  row: Selectable<EmailDomainBlockTable>,
): MessageInitShape<typeof EmailDomainBlockSchema> {
  return {
    emailDomainBlockId: row.id,
    domain: row.domain,
    reason: row.reason,
    createdByUserId: row.created_by,
    createdAt: timestampFromDate(row.created_at),
  };
}

/** The form the block is stored and matched in: lowercase ASCII (punycode), no trailing dot. */
function normalizeDomain(domain: string): string {
  try {
    return emailDomain(`block@${domain}`);
  } catch (err) {
    if (err instanceof InvalidEmailError) {
      throw new InvalidArgumentError([{ field: 'domain', message: 'not a valid domain' }]);
    }
    throw err;
  }
}

/**
 * IP and e-mail-domain blocks. Creating and deleting one are audited as `blocked_by_policy`
 * with `details.action` saying which: the audit enum has no type of its own for block changes.
 */
export function blockHandlers(app: AuthApp): BlockHandlers {
  const { database, clock } = app;

  return {
    async createIpBlock(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const cidr = parseCidr(req.cidr);
      const scope = SCOPES[req.scope];
      if (!scope) throw new InvalidArgumentError([{ field: 'scope', message: 'unknown scope' }]);
      const now = clock();
      const meta = requestMeta(ctx);
      const row = await database.transaction(async (trx) => {
        const block = await trx
          .insertInto('ip_blocks')
          .values({
            id: uuidv7(),
            cidr: cidr.text,
            scope,
            reason: req.reason,
            created_by: actor.userId,
            created_at: now,
            expires_at: req.ttl ? new Date(now.getTime() + durationMs(req.ttl)) : null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordAudit(trx, {
          type: 'policy_changed',
          actorId: actor.userId,
          meta,
          details: {
            action: 'ip_block_created',
            ip_block_id: block.id,
            cidr: block.cidr,
            scope,
            reason: req.reason,
          },
          at: now,
        });
        return block;
      });
      return { ipBlock: toIpBlock(row) };
    },

    async listIpBlocks(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const now = clock();
      const binding = `auth.ListIpBlocks|${actor.userId}`;
      // Only blocks still in force: an expired one no longer does anything.
      const query = database.db
        .selectFrom('ip_blocks')
        .selectAll()
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      const page = await newestFirstPage(app, query, req, binding);
      return {
        ipBlocks: page.items.map(toIpBlock),
        nextPageToken: page.nextPageToken,
      };
    },

    async deleteIpBlock(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const now = clock();
      const meta = requestMeta(ctx);
      await database.transaction(async (trx) => {
        const block = await trx
          .deleteFrom('ip_blocks')
          .where('id', '=', req.ipBlockId)
          .returningAll()
          .executeTakeFirst();
        if (!block) throw new NotFoundError('IP block not found');
        await recordAudit(trx, {
          type: 'policy_changed',
          actorId: actor.userId,
          meta,
          details: {
            action: 'ip_block_deleted',
            ip_block_id: block.id,
            cidr: block.cidr,
            scope: block.scope,
          },
          at: now,
        });
      });
      return {};
    },

    async createEmailDomainBlock(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const domain = normalizeDomain(req.domain);
      const now = clock();
      const meta = requestMeta(ctx);
      const row = await database.transaction(async (trx) => {
        const block = await trx
          .insertInto('email_domain_blocks')
          .values({
            id: uuidv7(),
            domain,
            reason: req.reason,
            created_by: actor.userId,
            created_at: now,
          })
          .onConflict((oc) => oc.column('domain').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!block) throw new AlreadyExistsError('this domain is already blocked');
        await recordAudit(trx, {
          type: 'policy_changed',
          actorId: actor.userId,
          meta,
          details: {
            action: 'email_domain_block_created',
            email_domain_block_id: block.id,
            domain,
            reason: req.reason,
          },
          at: now,
        });
        return block;
      });
      return { emailDomainBlock: toEmailDomainBlock(row) };
    },

    async listEmailDomainBlocks(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const binding = `auth.ListEmailDomainBlocks|${actor.userId}`;
      const page = await newestFirstPage(
        app,
        database.db.selectFrom('email_domain_blocks').selectAll(),
        req,
        binding,
      );
      return {
        emailDomainBlocks: page.items.map(toEmailDomainBlock),
        nextPageToken: page.nextPageToken,
      };
    },

    async deleteEmailDomainBlock(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const now = clock();
      const meta = requestMeta(ctx);
      await database.transaction(async (trx) => {
        const block = await trx
          .deleteFrom('email_domain_blocks')
          .where('id', '=', req.emailDomainBlockId)
          .returningAll()
          .executeTakeFirst();
        if (!block) throw new NotFoundError('e-mail domain block not found');
        await recordAudit(trx, {
          type: 'policy_changed',
          actorId: actor.userId,
          meta,
          details: {
            action: 'email_domain_block_deleted',
            email_domain_block_id: block.id,
            domain: block.domain,
          },
          at: now,
        });
      });
      return {};
    },
  };
}
