import path from 'node:path';
import { createPageTokenCodec } from '@kith/db';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import type { Kysely } from 'kysely';
import { expect, test } from 'vitest';
import * as accounts from './accounts/account-store.js';
import * as admin from './admin/admin-store.js';
import * as apiKeys from './api-keys/api-key-store.js';
import * as auditStore from './audit/audit-store.js';
import * as devices from './devices/device-store.js';
import * as erasure from './erasure/erasure-store.js';
import * as dataExport from './export/export-store.js';
import * as mfa from './mfa/mfa-store.js';
import * as moderation from './moderation/enforcement-store.js';
import * as registrations from './registrations/registration-store.js';
import type { AuthDatabase } from './db/schema.js';
import * as oidcStates from './oidc/oidc-store.js';
import * as sessions from './sessions/session-store.js';
import * as signingKeys from './tokens/signing-key-store.js';

// Every store query, compiled for Postgres with representative arguments, is committed under
// services/auth/queries/: a change to a store's SQL shows up in review as a change to SQL.
// After reviewing a difference, accept it with KITH_UPDATE_QUERY_SNAPSHOTS=1.

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ACCOUNT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const codec = { pageTokens: createPageTokenCodec('query-snapshot-secret-of-32-bytes!') };
const page = { pageSize: 20, pageToken: '' };

type Calls = Record<string, (db: Kysely<AuthDatabase>) => Promise<unknown>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Ids a store makes up itself (an audit entry's, a linked identity's) differ on every run. */
const mask = (value: unknown) =>
  typeof value === 'string' && UUID.test(value) && value !== ACCOUNT && value !== OTHER
    ? '<new uuidv7>'
    : value;

const stores: Record<string, Calls> = {
  'account-store': {
    updateAccount: (db) =>
      accounts.updateAccount(db, ACCOUNT, { password_hash: '$argon2id$…', updated_at: NOW }),
    clearPendingEmail: (db) => accounts.clearPendingEmail(db, ACCOUNT, NOW),
    insertEmailToken: (db) =>
      accounts.insertEmailToken(db, {
        id: OTHER,
        account_id: ACCOUNT,
        purpose: 'verify_email',
        token_hash: 'ef'.repeat(32),
        email: 'a@example.com',
        created_at: NOW,
        expires_at: NOW,
        used_at: null,
      }),
    retireEmailTokens: (db) =>
      accounts.retireEmailTokens(db, ACCOUNT, ['change_email', 'cancel_email_change'], NOW),
    findLiveEmailToken: (db) =>
      accounts.findLiveEmailToken(db, 'ef'.repeat(32), ['reset_password'], NOW),
    redeemEmailToken: (db) =>
      accounts.redeemEmailToken(db, 'ef'.repeat(32), ['verify_email', 'change_email'], NOW),
    findAccountByLoginName: (db) =>
      accounts.findAccountByLoginName(db, 'username_normalized', 'alice'),
    anyAdminExists: (db) => accounts.anyAdminExists(db),
    lockVerifiedAccountsByEmail: (db) =>
      accounts.lockVerifiedAccountsByEmail(db, ['a@example.com', 'b@example.com']),
    findAccountByCanonicalEmail: (db) => accounts.findAccountByCanonicalEmail(db, 'a@example.com'),
    findAccountById: (db) => accounts.findAccountById(db, ACCOUNT),
    findAccountByIdForUpdate: (db) => accounts.findAccountById(db, ACCOUNT, { forUpdate: true }),
    usernameTaken: (db) => accounts.usernameTaken(db, 'alice', 'a1ice'),
    emailTakenByOther: (db) => accounts.emailTakenByOther(db, 'a@example.com', ACCOUNT),
    insertAccount: (db) =>
      accounts.insertAccount(db, {
        id: ACCOUNT,
        email: 'A@example.com',
        emailCanonical: 'a@example.com',
        emailVerifiedAt: null,
        username: 'alice',
        passwordHash: '$argon2id$…',
        locale: 'en',
        now: NOW,
      }),
    unusedRecoveryCodes: (db) => accounts.unusedRecoveryCodes(db, ACCOUNT),
    linkedIdentities: (db) => accounts.linkedIdentities(db, ACCOUNT),
  },
  'admin-store': {
    disableAccountRow: (db) =>
      admin.disableAccountRow(db, ACCOUNT, { reason: 'spam', by: OTHER, now: NOW }),
    enableAccountRow: (db) => admin.enableAccountRow(db, ACCOUNT, NOW),
    hasRecoveryCodes: (db) => admin.hasRecoveryCodes(db, ACCOUNT),
    ipBlockedForLogin: (db) => admin.ipBlocked(db, '192.0.2.7', 'login', NOW),
    ipBlockedForSignUp: (db) => admin.ipBlocked(db, '2001:db8::7', 'sign_up', NOW),
    emailDomainBlocked: (db) => admin.emailDomainBlocked(db, 'mail.evil.example'),
    insertIpBlock: (db) =>
      admin.insertIpBlock(db, {
        id: OTHER,
        cidr: '192.0.2.0/24',
        scope: 'all',
        reason: 'abuse',
        created_by: ACCOUNT,
        created_at: NOW,
        expires_at: null,
      }),
    deleteIpBlock: (db) => admin.deleteIpBlock(db, OTHER),
    liveIpBlocksPage: (db) =>
      admin.liveIpBlocksPage(codec, db, { ...page, now: NOW, binding: 'b' }),
    insertEmailDomainBlock: (db) =>
      admin.insertEmailDomainBlock(db, {
        id: OTHER,
        domain: 'evil.example',
        reason: 'abuse',
        created_by: ACCOUNT,
        created_at: NOW,
      }),
    deleteEmailDomainBlock: (db) => admin.deleteEmailDomainBlock(db, OTHER),
    emailDomainBlocksPage: (db) =>
      admin.emailDomainBlocksPage(codec, db, { ...page, binding: 'b' }),
  },
  'api-key-store': {
    countActiveKeys: (db) => apiKeys.countActiveKeys(db, ACCOUNT, NOW),
    findOwnKey: (db) => apiKeys.findOwnKey(db, ACCOUNT, OTHER),
    revokeAllKeys: (db) => apiKeys.revokeAllKeys(db, ACCOUNT, NOW),
    liveKeyHashes: (db) => apiKeys.liveKeyHashes(db, ACCOUNT, NOW),
    findKeyByHash: (db) => apiKeys.findKeyByHash(db, 'ab'.repeat(32)),
    touchLastUsed: (db) => apiKeys.touchLastUsed(db, OTHER, NOW),
    insertApiKey: (db) =>
      apiKeys.insertApiKey(db, {
        id: OTHER,
        account_id: ACCOUNT,
        name: 'ci',
        prefix: 'kith_ak_abcd',
        key_hash: 'ab'.repeat(32),
        scopes: ['posts:read'],
        created_at: NOW,
        last_used_at: null,
        expires_at: NOW,
        revoked_at: null,
      }),
    markKeyRevoked: (db) => apiKeys.markKeyRevoked(db, OTHER, NOW),
    ownLiveKeysPage: (db) =>
      apiKeys.ownKeysPage(codec, db, {
        ...page,
        accountId: ACCOUNT,
        includeInactive: false,
        now: NOW,
      }),
    ownKeysPageWithInactive: (db) =>
      apiKeys.ownKeysPage(codec, db, {
        ...page,
        accountId: ACCOUNT,
        includeInactive: true,
        now: NOW,
      }),
  },
  'audit-store': {
    auditEventsPage: (db) =>
      auditStore.auditEventsPage(
        db,
        codec.pageTokens,
        {
          accountId: ACCOUNT,
          types: ['login_failed', 'logout'],
          ip: '192.0.2.7',
          after: NOW,
          before: NOW,
        },
        { ...page, binding: 'b' },
      ),
    auditEventsPageUnfiltered: (db) =>
      auditStore.auditEventsPage(
        db,
        codec.pageTokens,
        { accountId: '', types: [], ip: '', after: undefined, before: undefined },
        { ...page, binding: 'b' },
      ),
  },
  'oidc-store': {
    saveState: (db) =>
      oidcStates.saveState(db, {
        started: { authorizationUrl: 'https://idp/', state: 's', nonce: 'n', codeVerifier: 'v' },
        providerId: 'google',
        intent: 'login',
        accountId: null,
        redirectUri: 'https://app/cb',
        consent: null,
        bindingSecret: 'kith_oab_x',
        now: NOW,
      }),
    claimState: (db) =>
      oidcStates.claimState(db, {
        state: 's',
        bindingSecret: 'kith_oab_x',
        providerId: 'google',
        now: NOW,
      }),
  },
  'session-store': {
    insertRefreshToken: (db) =>
      sessions.insertRefreshToken(db, {
        id: OTHER,
        sessionId: ACCOUNT,
        tokenHash: 'cd'.repeat(32),
        now: NOW,
      }),
    restartSessionAuth: (db) =>
      sessions.restartSessionAuth(db, {
        accountId: ACCOUNT,
        sessionId: OTHER,
        now: NOW,
        seenFrom: { ip: '192.0.2.7', userAgent: 'kith-test' },
      }),
    deleteUnusedRefreshTokens: (db) => sessions.deleteUnusedRefreshTokens(db, OTHER),
    insertSession: (db) =>
      sessions.insertSession(db, {
        id: OTHER,
        account_id: ACCOUNT,
        created_at: NOW,
        last_used_at: NOW,
        expires_at: NOW,
        auth_time: NOW,
        ip: '192.0.2.7',
        user_agent: 'kith-test',
        device_label: 'laptop',
        device_hash: 'ab'.repeat(16),
        revoked_at: null,
        revoked_reason: null,
      }),
    recordLogin: (db) => sessions.recordLogin(db, ACCOUNT, NOW),
    markSessionsRevoked: (db) =>
      sessions.markSessionsRevoked(
        db,
        { accountId: ACCOUNT, exceptSessionId: OTHER },
        'logout_all',
        NOW,
      ),
    markListedSessionsRevoked: (db) =>
      sessions.markSessionsRevoked(db, { accountId: ACCOUNT, sessionIds: [OTHER] }, 'logout', NOW),
    moveTokensValidAfter: (db) => sessions.moveTokensValidAfter(db, ACCOUNT, NOW),
    findUnrevokedSession: (db) => sessions.findUnrevokedSession(db, ACCOUNT, OTHER),
    lockUnrevokedSession: (db) =>
      sessions.findUnrevokedSession(db, ACCOUNT, OTHER, { forUpdate: true }),
    hasEverSignedIn: (db) => sessions.hasEverSignedIn(db, ACCOUNT),
    findRefreshTokenForUpdate: (db) => sessions.findRefreshTokenForUpdate(db, 'cd'.repeat(32)),
    lockSession: (db) => sessions.lockSession(db, OTHER),
    markRefreshTokenUsed: (db) => sessions.markRefreshTokenUsed(db, OTHER, NOW),
    touchSession: (db) =>
      sessions.touchSession(db, OTHER, NOW, { ip: '192.0.2.7', userAgent: 'kith-test' }),
    ownsSession: (db) => sessions.ownsSession(db, ACCOUNT, OTHER),
    liveSessionsPage: (db) =>
      sessions.liveSessionsPage(codec, db, {
        ...page,
        accountId: ACCOUNT,
        now: NOW,
        idleTtlMs: 30 * 24 * 3600_000,
      }),
  },
};

stores['device-store'] = {
  findDeviceForLoginName: (db) =>
    devices.findDeviceForLoginName(db, 'ab'.repeat(32), 'email_canonical', 'a@example.com'),
  findAccountDevice: (db) => devices.findAccountDevice(db, ACCOUNT, 'ab'.repeat(32)),
  touchDevice: (db) => devices.touchDevice(db, OTHER, NOW),
  insertDevice: (db) =>
    devices.insertDevice(db, {
      id: OTHER,
      account_id: ACCOUNT,
      token_hash: 'ab'.repeat(32),
      created_at: NOW,
      last_used_at: NOW,
    }),
  deleteAccountDevices: (db) => devices.deleteAccountDevices(db, ACCOUNT),
};
stores['mfa-store'] = {
  insertChallenge: (db) =>
    mfa.insertChallenge(db, {
      id: OTHER,
      account_id: ACCOUNT,
      token_hash: 'ab'.repeat(32),
      methods: ['totp', 'recovery_code'],
      email_code_hash: null,
      created_at: NOW,
      expires_at: NOW,
      consumed_at: null,
      ip: '192.0.2.7',
      user_agent: 'kith-test',
      device_label: '',
    }),
  findChallengeAccount: (db) => mfa.findChallengeAccount(db, 'ab'.repeat(32)),
  countChallengeAttempt: (db) => mfa.countChallengeAttempt(db, 'ab'.repeat(32), NOW, 5),
  markChallengeConsumed: (db) => mfa.markChallengeConsumed(db, OTHER, NOW),
  advanceTotpStep: (db) => mfa.advanceTotpStep(db, ACCOUNT, 59_000_000, NOW),
  burnRecoveryCode: (db) => mfa.burnRecoveryCode(db, ACCOUNT, 'ab'.repeat(32), NOW),
  deleteRecoveryCodes: (db) => mfa.deleteRecoveryCodes(db, ACCOUNT),
  insertRecoveryCodes: (db) =>
    mfa.insertRecoveryCodes(db, [
      { id: OTHER, accountId: ACCOUNT, codeHash: 'ab'.repeat(32) },
      { id: ACCOUNT, accountId: ACCOUNT, codeHash: 'cd'.repeat(32) },
    ]),
};
stores['signing-key-store'] = {
  lockKeyMaintenance: (db) => signingKeys.lockKeyMaintenance(db, 'kith.auth.signing_keys'),
  allSigningKeys: (db) => signingKeys.allSigningKeys(db),
  insertSigningKey: (db) =>
    signingKeys.insertSigningKey(db, {
      kid: 'k1',
      alg: 'EdDSA',
      public_jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' },
      private_key_enc: 'sealed',
      state: 'next',
      created_at: NOW,
      activated_at: null,
      retired_at: null,
    }),
  retireSigningKey: (db) => signingKeys.retireSigningKey(db, 'k1', NOW),
  activateSigningKey: (db) => signingKeys.activateSigningKey(db, 'k2', NOW),
  deleteRetiredSigningKeys: (db) => signingKeys.deleteRetiredSigningKeys(db, NOW),
};
stores['enforcement-store'] = {
  applyAccountEnforcement: (db) =>
    moderation.applyAccountEnforcement(db, ACCOUNT, 3n, {
      limited: false,
      suspended: true,
      suspendedUntil: NOW,
      banned: false,
    }),
};
stores['registration-store'] = {
  claimExpiredRegistrations: (db) => registrations.claimExpiredRegistrations(db, NOW, 50),
  deleteAccounts: (db) => registrations.deleteAccounts(db, [ACCOUNT, OTHER]),
};
stores['oidc-store'] = {
  ...stores['oidc-store'],
  findIdentity: (db) => oidcStates.findIdentity(db, 'https://accounts.example', 'sub-1'),
  findProviderIdentity: (db) => oidcStates.findProviderIdentity(db, ACCOUNT, 'google'),
  countIdentities: (db) => oidcStates.countIdentities(db, ACCOUNT),
  insertIdentity: (db) =>
    oidcStates.insertIdentity(db, {
      accountId: ACCOUNT,
      providerId: 'google',
      identity: {
        issuer: 'https://accounts.example',
        subject: 'sub-1',
        email: 'a@example.com',
        emailVerified: true,
      },
      now: NOW,
    }),
  deleteIdentity: (db) => oidcStates.deleteIdentity(db, OTHER),
  updateIdentityEmail: (db) => oidcStates.updateIdentityEmail(db, OTHER, 'b@example.com'),
};
stores['export-store'] = {
  exportAccount: (db) => dataExport.exportAccount(db, ACCOUNT),
  exportSessions: (db) => dataExport.exportSessions(db, ACCOUNT),
  exportKnownDevices: (db) => dataExport.exportKnownDevices(db, ACCOUNT),
  exportApiKeys: (db) => dataExport.exportApiKeys(db, ACCOUNT),
  countUnusedRecoveryCodes: (db) => dataExport.countUnusedRecoveryCodes(db, ACCOUNT),
  exportLinkedIdentities: (db) => dataExport.exportLinkedIdentities(db, ACCOUNT),
  exportAuditEntries: (db) => dataExport.exportAuditEntries(db, ACCOUNT),
};
stores['audit-store'] = {
  audit: (db) =>
    auditStore.audit(
      db,
      {
        accountId: ACCOUNT,
        actorId: OTHER,
        sessionId: null,
        meta: { ip: '192.0.2.7', userAgent: 'kith-test', requestId: 'req-1' },
        now: NOW,
      },
      'account_disabled',
      { reason: 'spam' },
    ),
  ...stores['audit-store'],
};

const modules: Record<string, object> = {
  'account-store': accounts,
  'admin-store': admin,
  'api-key-store': apiKeys,
  'audit-store': auditStore,
  'device-store': devices,
  'enforcement-store': moderation,
  'erasure-store': erasure,
  'export-store': dataExport,
  'mfa-store': mfa,
  'oidc-store': oidcStates,
  'registration-store': registrations,
  'session-store': sessions,
  'signing-key-store': signingKeys,
};
/** Pure helpers a store exports beside its queries: they send nothing. */
const sendsNoQuery = new Set(['domainAndParents']);

test('every function each auth store exports is in the snapshot', () => {
  const uncovered: string[] = [];
  for (const [store, module] of Object.entries(modules)) {
    const names = Object.keys({ ...stores[store], erasure: undefined });
    const covered = store === 'erasure-store' ? ['deleteCredentials'] : names;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'function' || sendsNoQuery.has(name)) continue;
      if (!covered.some((call) => call.startsWith(name))) uncovered.push(`${store}.${name}`);
    }
  }
  expect(uncovered).toEqual([]);
});

test('the SQL of every auth store matches services/auth/queries/*.sql', async () => {
  const recorder = createQueryRecorder<AuthDatabase>('auth');
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls, { mask });
  }
  // The erasure goes on only when the account's row is found: every query answers one row.
  const found = createQueryRecorder<AuthDatabase>('auth', {
    rows: () => [{ id: OTHER, key_hash: 'ab'.repeat(32) }],
  });
  rendered['erasure-store'] = await renderQueries(
    found,
    {
      deleteCredentials: (db) => erasure.deleteCredentials(db, ACCOUNT),
    },
    { mask },
  );
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
