import path from 'node:path';
import { createPageTokenCodec } from '@kith/db';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import type { Kysely } from 'kysely';
import { expect, test } from 'vitest';
import * as accounts from './accounts/account-store.js';
import * as admin from './admin/admin-store.js';
import * as blocks from './admin/block-store.js';
import * as apiKeys from './api-keys/api-key-store.js';
import * as auditStore from './audit/audit-store.js';
import type { AuthDatabase } from './db/schema.js';
import * as oidcStates from './oidc/oidc-state-store.js';
import * as sessions from './sessions/session-store.js';

// Every store query, compiled for Postgres with representative arguments, is committed under
// services/auth/queries/: a change to a store's SQL shows up in review as a change to SQL.
// After reviewing a difference, accept it with KITH_UPDATE_QUERY_SNAPSHOTS=1.

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ACCOUNT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const codec = { pageTokens: createPageTokenCodec('query-snapshot-secret-of-32-bytes!') };
const page = { pageSize: 20, pageToken: '' };

type Calls = Record<string, (db: Kysely<AuthDatabase>) => Promise<unknown>>;

const stores: Record<string, Calls> = {
  'account-store': {
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
  },
  'block-store': {
    ipBlockedForLogin: (db) => blocks.ipBlocked(db, '192.0.2.7', 'login', NOW),
    ipBlockedForSignUp: (db) => blocks.ipBlocked(db, '2001:db8::7', 'sign_up', NOW),
    emailDomainBlocked: (db) => blocks.emailDomainBlocked(db, 'mail.evil.example'),
    insertIpBlock: (db) =>
      blocks.insertIpBlock(db, {
        id: OTHER,
        cidr: '192.0.2.0/24',
        scope: 'all',
        reason: 'abuse',
        created_by: ACCOUNT,
        created_at: NOW,
        expires_at: null,
      }),
    deleteIpBlock: (db) => blocks.deleteIpBlock(db, OTHER),
    liveIpBlocksPage: (db) =>
      blocks.liveIpBlocksPage(codec, db, { ...page, now: NOW, binding: 'b' }),
    insertEmailDomainBlock: (db) =>
      blocks.insertEmailDomainBlock(db, {
        id: OTHER,
        domain: 'evil.example',
        reason: 'abuse',
        created_by: ACCOUNT,
        created_at: NOW,
      }),
    deleteEmailDomainBlock: (db) => blocks.deleteEmailDomainBlock(db, OTHER),
    emailDomainBlocksPage: (db) =>
      blocks.emailDomainBlocksPage(codec, db, { ...page, binding: 'b' }),
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
  'oidc-state-store': {
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

test('the SQL of every auth store matches services/auth/queries/*.sql', async () => {
  const recorder = createQueryRecorder<AuthDatabase>('auth');
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
