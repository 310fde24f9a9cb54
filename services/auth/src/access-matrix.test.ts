import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { rpc } from '@kith/runtime';
import { Code } from '@connectrpc/connect';
import { accessMatrix, accessRow, assertEveryIdMethodCovered } from '@kith/testkit';
import { introspectApiKey, seedUser, startAuthHarness, startSession } from './testing/index.js';
import type { AuthHarness, TestUser } from './testing/index.js';

// Auth's resources are the caller's own: ownership is part of every query's WHERE, and another
// user's id answers NotFound, exactly like an id that does not exist. There is no "blocked"
// actor here: blocks are a user-service relation and guard nothing in auth.
const actors = ['owner', 'other', 'anonymous'] as const;
type Actor = (typeof actors)[number];

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.stop());

/** The clients each actor calls with: the owner's, another signed-in user's, no credentials. */
async function world() {
  const owner = await seedUser(h);
  const other = await seedUser(h);
  const client = (actor: Actor, as: TestUser = owner) =>
    actor === 'anonymous'
      ? h.auth
      : h.as(actor === 'owner' ? as.accessToken : other.accessToken).auth;
  return { owner, client };
}

const rows = [
  accessRow<Actor, Awaited<ReturnType<typeof world>> & { sessionId: string }>({
    method: rpc(AuthService, 'revokeSession'),
    setup: async () => {
      const w = await world();
      const second = await startSession(h, w.owner);
      return { ...w, sessionId: second.sessionId };
    },
    call: (actor, w) => w.client(actor).revokeSession({ sessionId: w.sessionId }),
    expect: { owner: 'ok', other: Code.NotFound, anonymous: Code.Unauthenticated },
    intact: async (w) => {
      const { sessions } = await w.client('owner').listSessions({});
      assert.ok(
        sessions.some((s) => s.sessionId === w.sessionId),
        'the session still lives',
      );
    },
  }),
  accessRow<Actor, Awaited<ReturnType<typeof world>> & { apiKeyId: string; secret: string }>({
    method: rpc(AuthService, 'revokeApiKey'),
    setup: async () => {
      const w = await world();
      const key = await w.client('owner').createApiKey({
        name: 'matrix',
        scopes: [ApiKeyScope.POSTS_READ],
        proof: { case: 'currentPassword', value: w.owner.password },
      });
      return { ...w, apiKeyId: key.apiKey!.apiKeyId, secret: key.secret };
    },
    call: (actor, w) => w.client(actor).revokeApiKey({ apiKeyId: w.apiKeyId }),
    expect: { owner: 'ok', other: Code.NotFound, anonymous: Code.Unauthenticated },
    intact: async (w) => {
      assert.ok(await introspectApiKey(h, w.secret), 'the key still works');
    },
  }),
];

accessMatrix(test, actors, rows);

test('every auth RPC that takes an id is in the matrix or exempt with a reason', () => {
  assertEveryIdMethodCovered([AuthService, AuthAdminService], rows, {
    [rpc(AuthService, 'startOAuthLogin')]: 'provider_id names a configured provider; public',
    [rpc(AuthService, 'finishOAuthLogin')]: 'provider_id names a configured provider; public',
    [rpc(AuthService, 'unlinkOAuthIdentity')]:
      "provider_id selects among the caller's own links; no other user's can be named",
    ...Object.fromEntries(
      AuthAdminService.methods.map((m) => [
        `${AuthAdminService.typeName}/${m.name}`,
        'staff only: every role below admin is refused before validation (admin/admin.test.ts)',
      ]),
    ),
  });
});
