import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@kith/errors';
import { uuidv7 } from 'uuidv7';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { emailDomain, InvalidEmailError } from '../credentials/index.js';
import type { IpBlockTable } from '../db/schema.js';
import {
  deleteEmailDomainBlock,
  deleteIpBlock,
  emailDomainBlocksPage,
  insertEmailDomainBlock,
  insertIpBlock,
  liveIpBlocksPage,
} from './admin-store.js';
import type { EmailDomainBlockRow, IpBlockRow } from './admin-store.js';
import { parseCidr } from './cidr.js';

// IP and e-mail-domain blocks. Creating and deleting one are audited as `policy_changed` with
// `details.action` saying which.

type Page = { pageSize: number; pageToken: string };

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

const staffSource = (caller: SignedInCaller) => ({
  actorId: caller.principal.userId,
  meta: caller.meta,
  now: caller.now,
});

export async function createIpBlock(
  app: AuthApp,
  caller: SignedInCaller,
  input: {
    cidr: string;
    scope: IpBlockTable['scope'] | undefined;
    reason: string;
    ttlMs: number | undefined;
  },
): Promise<IpBlockRow> {
  const cidr = parseCidr(input.cidr);
  const scope = input.scope;
  if (!scope) throw new InvalidArgumentError([{ field: 'scope', message: 'unknown scope' }]);
  const { now } = caller;
  return app.database.transaction(async (trx) => {
    const block = await insertIpBlock(trx, {
      id: uuidv7(),
      cidr: cidr.text,
      scope,
      reason: input.reason,
      created_by: caller.principal.userId,
      created_at: now,
      expires_at: input.ttlMs !== undefined ? new Date(now.getTime() + input.ttlMs) : null,
    });
    await audit(trx, staffSource(caller), 'policy_changed', {
      action: 'ip_block_created',
      ip_block_id: block.id,
      cidr: block.cidr,
      scope,
      reason: input.reason,
    });
    return block;
  });
}

export function listIpBlocks(app: AuthApp, caller: SignedInCaller, page: Page) {
  const binding = `auth.ListIpBlocks|${caller.principal.userId}`;
  return liveIpBlocksPage(app, app.database.db, { ...page, now: caller.now, binding });
}

export async function removeIpBlock(
  app: AuthApp,
  caller: SignedInCaller,
  input: { ipBlockId: string },
): Promise<void> {
  await app.database.transaction(async (trx) => {
    const block = await deleteIpBlock(trx, input.ipBlockId);
    if (!block) throw new NotFoundError('IP block not found');
    await audit(trx, staffSource(caller), 'policy_changed', {
      action: 'ip_block_deleted',
      ip_block_id: block.id,
      cidr: block.cidr,
      scope: block.scope,
    });
  });
}

export async function createEmailDomainBlock(
  app: AuthApp,
  caller: SignedInCaller,
  input: { domain: string; reason: string },
): Promise<EmailDomainBlockRow> {
  const domain = normalizeDomain(input.domain);
  return app.database.transaction(async (trx) => {
    const block = await insertEmailDomainBlock(trx, {
      id: uuidv7(),
      domain,
      reason: input.reason,
      created_by: caller.principal.userId,
      created_at: caller.now,
    });
    if (!block) throw new AlreadyExistsError('this domain is already blocked');
    await audit(trx, staffSource(caller), 'policy_changed', {
      action: 'email_domain_block_created',
      email_domain_block_id: block.id,
      domain,
      reason: input.reason,
    });
    return block;
  });
}

export function listEmailDomainBlocks(app: AuthApp, caller: SignedInCaller, page: Page) {
  const binding = `auth.ListEmailDomainBlocks|${caller.principal.userId}`;
  return emailDomainBlocksPage(app, app.database.db, { ...page, binding });
}

export async function removeEmailDomainBlock(
  app: AuthApp,
  caller: SignedInCaller,
  input: { emailDomainBlockId: string },
): Promise<void> {
  await app.database.transaction(async (trx) => {
    const block = await deleteEmailDomainBlock(trx, input.emailDomainBlockId);
    if (!block) throw new NotFoundError('e-mail domain block not found');
    await audit(trx, staffSource(caller), 'policy_changed', {
      action: 'email_domain_block_deleted',
      email_domain_block_id: block.id,
      domain: block.domain,
    });
  });
}
