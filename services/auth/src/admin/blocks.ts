import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { IpBlockScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { EmailDomainBlockSchema, IpBlockSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { AuthApp } from '../app.js';
import { staffCaller } from '@kith/runtime';
import type { IpBlockTable } from '../db/schema.js';
import type { EmailDomainBlockRow, IpBlockRow } from './admin-store.js';
import {
  createEmailDomainBlock,
  createIpBlock,
  listEmailDomainBlocks,
  listIpBlocks,
  removeEmailDomainBlock,
  removeIpBlock,
} from './manage-blocks.js';

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

function toIpBlock(row: IpBlockRow): MessageInitShape<typeof IpBlockSchema> {
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
  row: EmailDomainBlockRow,
): MessageInitShape<typeof EmailDomainBlockSchema> {
  return {
    emailDomainBlockId: row.id,
    domain: row.domain,
    reason: row.reason,
    createdByUserId: row.created_by,
    createdAt: timestampFromDate(row.created_at),
  };
}

/** IP and e-mail-domain blocks (see manage-blocks.ts). */
export function blockHandlers(app: AuthApp): BlockHandlers {
  return {
    async createIpBlock(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const block = await createIpBlock(app, caller, {
        cidr: req.cidr,
        scope: SCOPES[req.scope],
        reason: req.reason,
        ttlMs: req.ttl ? durationMs(req.ttl) : undefined,
      });
      return { ipBlock: toIpBlock(block) };
    },

    async listIpBlocks(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const page = await listIpBlocks(app, caller, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { ipBlocks: page.items.map(toIpBlock), nextPageToken: page.nextPageToken };
    },

    async deleteIpBlock(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      await removeIpBlock(app, caller, { ipBlockId: req.ipBlockId });
      return {};
    },

    async createEmailDomainBlock(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const block = await createEmailDomainBlock(app, caller, {
        domain: req.domain,
        reason: req.reason,
      });
      return { emailDomainBlock: toEmailDomainBlock(block) };
    },

    async listEmailDomainBlocks(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const page = await listEmailDomainBlocks(app, caller, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return {
        emailDomainBlocks: page.items.map(toEmailDomainBlock),
        nextPageToken: page.nextPageToken,
      };
    },

    async deleteEmailDomainBlock(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      await removeEmailDomainBlock(app, caller, { emailDomainBlockId: req.emailDomainBlockId });
      return {};
    },
  };
}
