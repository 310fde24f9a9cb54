import { apiKeyCacheKey, hashApiKey } from '@kith/authn';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromMs, timestampMs, durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import {
  ApiKeyScope,
  AuditEventType,
  IpBlockScope,
  Role,
} from '@kith/gen/kith/auth/v1/types_pb.js';
import { audit } from '../audit/audit-store.js';
import {
  codeOf,
  introspectApiKey,
  outboxPayloads,
  seedUser,
  startAuthHarness,
  startSession,
} from '../testing/index.js';
import type { AuthHarness, TestUser } from '../testing/index.js';

const meta = { ip: '192.0.2.10', userAgent: 'test', requestId: 'r' };

let h: AuthHarness;
let admin: TestUser;
beforeAll(async () => {
  h = await startAuthHarness();
  admin = await seedUser(h, { role: 'admin' });
});
afterAll(async () => {
  await h?.stop();
});

/** A fresh admin token: the manual clock moves, access tokens live 10 minutes. */
async function asAdmin() {
  admin = await seedUser(h, { role: 'admin' });
  return h.as(admin.accessToken).admin;
}

async function eventsFor(userId: string) {
  return (await outboxPayloads(h)).filter(
    (p) => p.value && 'userId' in p.value && p.value.userId === userId,
  );
}

test('a non-admin gets PermissionDenied from every AuthAdminService method, and nothing changes', async () => {
  const victim = await seedUser(h);
  const target = victim.userId;
  const block = await (
    await asAdmin()
  ).createIpBlock({
    cidr: '198.51.100.0/24',
    scope: IpBlockScope.ALL,
    reason: 'probe',
  });
  // A valid request for each method (validation runs before handlers), aimed at real rows.
  const requests: Record<string, unknown> = {
    setRole: {
      userId: target,
      role: Role.ADMIN,
      reason: 'escalate',
      stepUp: { currentPassword: 'whatever it is' },
    },
    lookupAccount: { lookup: { case: 'userId', value: target } },
    disableAccount: { userId: target, reason: 'x', stepUp: { currentPassword: 'whatever it is' } },
    resetMfa: { userId: target, reason: 'x', stepUp: { currentPassword: 'whatever it is' } },
    enableAccount: { userId: target, reason: 'x' },
    listAuditEvents: { userId: target },
    createIpBlock: { cidr: '203.0.113.0/24', scope: IpBlockScope.ALL, reason: 'x' },
    listIpBlocks: {},
    deleteIpBlock: { ipBlockId: block.ipBlock!.ipBlockId },
    createEmailDomainBlock: { domain: 'example.org', reason: 'x' },
    listEmailDomainBlocks: {},
    deleteEmailDomainBlock: { emailDomainBlockId: crypto.randomUUID() },
  };
  const methods = AuthAdminService.methods.map((m) => m.localName);
  assert.deepEqual([...methods].sort(), Object.keys(requests).sort(), 'a request for every method');

  for (const role of ['user', 'triage', 'moderator'] as const) {
    const caller = await seedUser(h, { role });
    const client = h.as(caller.accessToken).admin as unknown as Record<
      string,
      (req: unknown) => Promise<unknown>
    >;
    for (const method of methods) {
      assert.equal(
        await codeOf(client[method]!(requests[method])),
        Code.PermissionDenied,
        `${role} ${method}`,
      );
      // An empty (invalid) request too: the role gate runs before validation, so a non-admin
      // learns nothing about the staff API's request shapes.
      assert.equal(
        await codeOf(client[method]!({})),
        Code.PermissionDenied,
        `${role} ${method} {}`,
      );
    }
  }
  // Anonymous: not even PermissionDenied.
  const anonymous = h.admin as unknown as Record<string, (req: unknown) => Promise<unknown>>;
  for (const method of methods) {
    assert.equal(await codeOf(anonymous[method]!(requests[method])), Code.Unauthenticated, method);
  }

  const account = await h.app.database.db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', target)
    .executeTakeFirstOrThrow();
  assert.equal(account.role, 'user');
  assert.equal(account.disabled_at, null);
  const blocks = await h.app.database.db.selectFrom('ip_blocks').select('cidr').execute();
  assert.deepEqual(
    blocks.map((b) => b.cidr),
    ['198.51.100.0/24'],
  );
  const domains = await h.app.database.db.selectFrom('email_domain_blocks').select('id').execute();
  assert.equal(domains.length, 0);
  await (await asAdmin()).deleteIpBlock({ ipBlockId: block.ipBlock!.ipBlockId });
});

test('SetRole takes effect at once: the old access token dies, a refreshed one has the role', async () => {
  const client = await asAdmin();
  const user = await seedUser(h);
  const { secret } = await h.as(user.accessToken).auth.createApiKey({
    name: 'k',
    scopes: [ApiKeyScope.POSTS_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  assert.equal((await introspectApiKey(h, secret))?.role, 'user');
  // A verifier somewhere has cached the key's grant, role included.
  const grantKey = apiKeyCacheKey(hashApiKey(secret));
  await h.app.cache.set(grantKey, '{"role":"user"}', { ttlMs: 60_000 });
  await h.as(user.accessToken).auth.listSessions({});
  assert.equal(await codeOf(h.as(user.accessToken).admin.listIpBlocks({})), Code.PermissionDenied);

  h.clock.advance(2_000);
  const res = await client.setRole({
    userId: user.userId,
    role: Role.ADMIN,
    reason: 'new staff',
    stepUp: { currentPassword: admin.password },
  });
  assert.equal(res.account?.role, Role.ADMIN);
  assert.equal(await h.app.cache.get(grantKey), null, 'the cached grant with the old role is gone');

  assert.equal(await codeOf(h.as(user.accessToken).auth.listSessions({})), Code.Unauthenticated);
  h.clock.advance(1_000);
  const refreshed = await h.auth.refresh({ refreshToken: user.refreshToken });
  const token = refreshed.tokens!.accessToken;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    role: string;
  };
  assert.equal(claims.role, 'admin');
  await h.as(token).admin.listIpBlocks({});
  assert.equal((await introspectApiKey(h, secret))?.role, 'admin');

  const events = await eventsFor(user.userId);
  const changed = events.find((e) => e.case === 'authRoleChanged');
  assert.ok(changed && changed.case === 'authRoleChanged');
  assert.equal(changed.value.oldRole, Role.USER);
  assert.equal(changed.value.newRole, Role.ADMIN);
  assert.equal(changed.value.changedByUserId, admin.userId);

  const audit = await client.listAuditEvents({
    userId: user.userId,
    types: [AuditEventType.ROLE_CHANGED],
  });
  assert.equal(audit.auditEvents.length, 1);
  assert.equal(audit.auditEvents[0]!.actorUserId, admin.userId);
  assert.deepEqual(audit.auditEvents[0]!.details, {
    old_role: 'user',
    new_role: 'admin',
    reason: 'new staff',
  });
});

test('SetRole: not on yourself, NotFound for an unknown account', async () => {
  const client = await asAdmin();
  assert.equal(
    await codeOf(
      client.setRole({
        userId: admin.userId,
        role: Role.USER,
        reason: 'oops',
        stepUp: { currentPassword: admin.password },
      }),
    ),
    Code.FailedPrecondition,
  );
  assert.equal(
    await codeOf(
      client.setRole({
        userId: crypto.randomUUID(),
        role: Role.USER,
        reason: 'x',
        stepUp: { currentPassword: admin.password },
      }),
    ),
    Code.NotFound,
  );
  const me = await h.app.database.db
    .selectFrom('accounts')
    .select('role')
    .where('id', '=', admin.userId)
    .executeTakeFirstOrThrow();
  assert.equal(me.role, 'admin');
});

test('DisableAccount ends every session and API key at once; EnableAccount lets the user back', async () => {
  const client = await asAdmin();
  const user = await seedUser(h);
  const phone = await startSession(h, user);
  const { secret } = await h.as(user.accessToken).auth.createApiKey({
    name: 'k',
    scopes: [ApiKeyScope.POSTS_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  assert.notEqual(await introspectApiKey(h, secret), null);
  assert.equal(
    await codeOf(
      client.disableAccount({
        userId: admin.userId,
        reason: 'self',
        stepUp: { currentPassword: admin.password },
      }),
    ),
    Code.FailedPrecondition,
  );

  h.clock.advance(2_000);
  const res = await client.disableAccount({
    userId: user.userId,
    reason: 'spam wave',
    stepUp: { currentPassword: admin.password },
  });
  assert.ok(res.account?.disabledAt);
  assert.equal(res.account.disabledReason, 'spam wave');

  for (const session of [user, phone]) {
    assert.equal(
      await codeOf(h.as(session.accessToken).auth.listSessions({})),
      Code.Unauthenticated,
    );
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: session.refreshToken })),
      Code.Unauthenticated,
    );
  }
  assert.equal(await introspectApiKey(h, secret), null);
  const sessions = await h.app.database.db
    .selectFrom('sessions')
    .select(['revoked_at', 'revoked_reason'])
    .where('account_id', '=', user.userId)
    .execute();
  assert.equal(sessions.length, 2);
  assert.ok(
    sessions.every((s) => s.revoked_at !== null && s.revoked_reason === 'account_disabled'),
  );
  const keys = await h.app.database.db
    .selectFrom('api_keys')
    .select('revoked_at')
    .where('account_id', '=', user.userId)
    .execute();
  assert.ok(keys.length === 1 && keys[0]!.revoked_at !== null);

  const events = await eventsFor(user.userId);
  assert.equal(events.filter((e) => e.case === 'authAccountDisabled').length, 1);
  const revokedSessions = events
    .filter((e) => e.case === 'authSessionRevoked')
    .map((e) => (e.case === 'authSessionRevoked' ? e.value.sessionId : ''));
  assert.deepEqual(revokedSessions.sort(), [user.sessionId, phone.sessionId].sort());

  // Repeating it changes nothing and records nothing more.
  await client.disableAccount({
    userId: user.userId,
    reason: 'again',
    stepUp: { currentPassword: admin.password },
  });
  const disabled = await client.listAuditEvents({
    userId: user.userId,
    types: [AuditEventType.ACCOUNT_DISABLED],
  });
  assert.equal(disabled.auditEvents.length, 1);
  assert.equal(disabled.auditEvents[0]!.details.revoked_sessions, '2');
  assert.equal(disabled.auditEvents[0]!.details.revoked_api_keys, '1');

  const looked = await client.lookupAccount({
    lookup: { case: 'email', value: user.email.toUpperCase() },
  });
  assert.equal(looked.account?.userId, user.userId);
  assert.equal(looked.account?.disabledReason, 'spam wave');

  const enabled = await client.enableAccount({ userId: user.userId, reason: 'appeal upheld' });
  assert.equal(enabled.account?.disabledAt, undefined);
  assert.equal(enabled.account?.disabledReason, '');
  // The revoked key stays revoked; a new sign-in works.
  assert.equal(await introspectApiKey(h, secret), null);
  const fresh = await startSession(h, user);
  await h.as(fresh.accessToken).auth.listSessions({});
  const audit = await client.listAuditEvents({
    userId: user.userId,
    types: [AuditEventType.ACCOUNT_ENABLED],
  });
  assert.equal(audit.auditEvents[0]?.actorUserId, admin.userId);
});

test('LookupAccount by id and by e-mail; NotFound otherwise', async () => {
  const client = await asAdmin();
  const user = await seedUser(h, { password: null });
  const byId = await client.lookupAccount({ lookup: { case: 'userId', value: user.userId } });
  assert.equal(byId.account?.email, user.email);
  assert.equal(byId.account?.role, Role.USER);
  assert.equal(byId.account?.emailVerified, true);
  assert.equal(byId.account?.hasPassword, false);
  assert.equal(
    await codeOf(client.lookupAccount({ lookup: { case: 'userId', value: crypto.randomUUID() } })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(client.lookupAccount({ lookup: { case: 'email', value: 'nobody@example.com' } })),
    Code.NotFound,
  );
});

test('ListAuditEvents filters by account, type, IP and time, newest first, in keyset pages', async () => {
  const client = await asAdmin();
  const subject = crypto.randomUUID();
  const base = h.clock.now().getTime() - 3_600_000;
  await h.app.database.transaction(async (trx) => {
    for (let i = 0; i < 5; i++) {
      await audit(
        trx,
        {
          accountId: subject,
          meta: { ...meta, ip: i < 4 ? '192.0.2.10' : '2001:db8::7' },
          now: new Date(base + i * 1_000),
        },
        i % 2 === 0 ? 'login_failed' : 'login_succeeded',
        { n: String(i) },
      );
    }
  });
  const all = await client.listAuditEvents({ userId: subject });
  assert.deepEqual(
    all.auditEvents.map((e) => e.details.n),
    ['4', '3', '2', '1', '0'],
  );
  assert.equal(all.auditEvents[0]!.type, AuditEventType.LOGIN_FAILED);
  assert.equal(all.auditEvents[1]!.type, AuditEventType.LOGIN_SUCCEEDED);
  assert.equal(all.auditEvents[0]!.ipAddress, '2001:db8::7');

  const failed = await client.listAuditEvents({
    userId: subject,
    types: [AuditEventType.LOGIN_FAILED],
  });
  assert.deepEqual(
    failed.auditEvents.map((e) => e.details.n),
    ['4', '2', '0'],
  );
  const byIp = await client.listAuditEvents({ userId: subject, ipAddress: '2001:DB8::7' });
  assert.deepEqual(
    byIp.auditEvents.map((e) => e.details.n),
    ['4'],
  );
  const window = await client.listAuditEvents({
    userId: subject,
    occurredAfter: timestampFromMs(base + 1_000),
    occurredBefore: timestampFromMs(base + 3_000),
  });
  assert.deepEqual(
    window.auditEvents.map((e) => e.details.n),
    ['2', '1'],
  );

  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await client.listAuditEvents({ userId: subject, pageSize: 2, pageToken });
    seen.push(...page.auditEvents.map((e) => e.details.n!));
    pageToken = page.nextPageToken;
    if (pageToken) {
      assert.equal(
        await codeOf(
          client.listAuditEvents({
            userId: subject,
            pageSize: 2,
            pageToken,
            types: [AuditEventType.LOGIN_FAILED],
          }),
        ),
        Code.InvalidArgument,
      );
    }
  } while (pageToken);
  assert.deepEqual(seen, ['4', '3', '2', '1', '0']);
  assert.equal(timestampMs(all.auditEvents[4]!.occurredAt!), base);
});

test('the audit log is append-only: UPDATE and DELETE are refused by the database', async () => {
  const [row] = await h.app.database.db.selectFrom('audit_events').select('id').limit(1).execute();
  assert.ok(row, 'earlier tests wrote audit rows');
  await assert.rejects(
    h.app.database.db
      .updateTable('audit_events')
      .set({ type: 'logout' })
      .where('id', '=', row.id)
      .execute(),
    /append-only/,
  );
  await assert.rejects(
    h.app.database.db.deleteFrom('audit_events').where('id', '=', row.id).execute(),
    /append-only/,
  );
  const still = await h.app.database.db
    .selectFrom('audit_events')
    .select('id')
    .where('id', '=', row.id)
    .executeTakeFirst();
  assert.ok(still);
});

test('IP blocks: CIDR validated, listed while in force, deleted, every change audited', async () => {
  const client = await asAdmin();
  const bad = await client
    .createIpBlock({ cidr: '203.0.113.7/24', scope: IpBlockScope.ALL, reason: 'x' })
    .catch((err: unknown) => ConnectError.from(err));
  assert.ok(bad instanceof ConnectError);
  assert.equal(bad.code, Code.InvalidArgument);

  const v4 = await client.createIpBlock({
    cidr: '203.0.113.0/24',
    scope: IpBlockScope.SIGN_UP,
    reason: 'farm',
  });
  assert.equal(v4.ipBlock?.cidr, '203.0.113.0/24');
  assert.equal(v4.ipBlock?.scope, IpBlockScope.SIGN_UP);
  assert.equal(v4.ipBlock?.createdByUserId, admin.userId);
  assert.equal(v4.ipBlock?.expiresAt, undefined);
  h.clock.advance(1_000);
  const v6 = await client.createIpBlock({
    cidr: '2001:DB8:0:0::/48',
    scope: IpBlockScope.ALL,
    reason: 'abuse',
    ttl: durationFromMs(3_600_000),
  });
  assert.equal(v6.ipBlock?.cidr, '2001:db8::/48');
  assert.equal(timestampMs(v6.ipBlock!.expiresAt!), h.clock.now().getTime() + 3_600_000);

  const listed = await client.listIpBlocks({});
  assert.deepEqual(
    listed.ipBlocks.map((b) => b.ipBlockId),
    [v6.ipBlock!.ipBlockId, v4.ipBlock!.ipBlockId],
  );
  const first = await client.listIpBlocks({ pageSize: 1 });
  const second = await client.listIpBlocks({ pageSize: 1, pageToken: first.nextPageToken });
  assert.deepEqual(
    [...first.ipBlocks, ...second.ipBlocks].map((b) => b.ipBlockId),
    [v6.ipBlock!.ipBlockId, v4.ipBlock!.ipBlockId],
  );
  assert.equal(second.nextPageToken, '');

  h.clock.advance(3_600_000);
  const later = await (await asAdmin()).listIpBlocks({});
  assert.deepEqual(
    later.ipBlocks.map((b) => b.ipBlockId),
    [v4.ipBlock!.ipBlockId],
  );
  const adminClient = h.as(admin.accessToken).admin;
  await adminClient.deleteIpBlock({ ipBlockId: v4.ipBlock!.ipBlockId });
  assert.equal(
    await codeOf(adminClient.deleteIpBlock({ ipBlockId: v4.ipBlock!.ipBlockId })),
    Code.NotFound,
  );
  assert.equal((await adminClient.listIpBlocks({})).ipBlocks.length, 0);

  const audit = await h.app.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('type', '=', 'policy_changed')
    .where((eb) => eb(eb.ref('details', '->>').key('ip_block_id'), '=', v4.ipBlock!.ipBlockId))
    .orderBy('occurred_at')
    .execute();
  assert.deepEqual(
    audit.map((a) => [a.details.action, a.actor_id]),
    [
      ['ip_block_created', v4.ipBlock!.createdByUserId],
      ['ip_block_deleted', admin.userId],
    ],
  );
});

test('e-mail domain blocks: normalised, unique (AlreadyExists), deleted', async () => {
  const client: Client<typeof AuthAdminService> = await asAdmin();
  const created = await client.createEmailDomainBlock({
    domain: 'Mailinator.COM',
    reason: 'disposable',
  });
  assert.equal(created.emailDomainBlock?.domain, 'mailinator.com');
  assert.equal(
    await codeOf(client.createEmailDomainBlock({ domain: 'mailinator.com', reason: 'again' })),
    Code.AlreadyExists,
  );
  h.clock.advance(1_000);
  const other = await client.createEmailDomainBlock({ domain: 'example.net', reason: 'x' });
  const listed = await client.listEmailDomainBlocks({});
  assert.deepEqual(
    listed.emailDomainBlocks.map((b) => b.domain),
    ['example.net', 'mailinator.com'],
  );
  await client.deleteEmailDomainBlock({
    emailDomainBlockId: created.emailDomainBlock!.emailDomainBlockId,
  });
  assert.equal(
    await codeOf(
      client.deleteEmailDomainBlock({
        emailDomainBlockId: created.emailDomainBlock!.emailDomainBlockId,
      }),
    ),
    Code.NotFound,
  );
  assert.deepEqual(
    (await client.listEmailDomainBlocks({})).emailDomainBlocks.map((b) => b.emailDomainBlockId),
    [other.emailDomainBlock!.emailDomainBlockId],
  );
  const audit = await h.app.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('type', '=', 'policy_changed')
    .where('actor_id', '=', admin.userId)
    .execute();
  assert.ok(
    audit.some(
      (a) =>
        a.details.action === 'email_domain_block_deleted' && a.details.domain === 'mailinator.com',
    ),
  );
});

test('staff reads of accounts and of the audit log are themselves audited', async () => {
  const staff = await seedUser(h, { role: 'admin' });
  const target = await seedUser(h);
  const client = h.as(staff.accessToken).admin;
  await client.lookupAccount({ lookup: { case: 'userId', value: target.userId } });
  await client.listAuditEvents({ userId: target.userId });
  const entries = await h.app.database.db
    .selectFrom('audit_events')
    .select(['type', 'actor_id', 'account_id', 'details'])
    .where('type', '=', 'staff_access')
    .where('actor_id', '=', staff.userId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  assert.deepEqual(
    entries.map((e) => [e.details.method, e.account_id]),
    [
      ['LookupAccount', null],
      ['ListAuditEvents', null],
    ],
  );
  assert.equal(entries[0]!.details.target_account_id, target.userId);
});
