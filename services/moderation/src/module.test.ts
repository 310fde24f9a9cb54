import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { sql } from 'kysely';
import { roleAtLeast } from '@kith/context';
import type { Role } from '@kith/context';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
// By path: the moderation package does not depend on the auth service; its harness issues the
// tokens and API keys these calls are made with.
import { codeOf, seedUser, startAuthHarness } from '../../auth/src/testing/index.js';
import type { AuthHarness } from '../../auth/src/testing/index.js';
import { moderationModule, moderationRoles } from './module.js';

// A call past the role gate is answered by its handler (an empty request is mostly refused as
// invalid; the rules RPCs are not written yet and answer Unimplemented), never with
// PermissionDenied.

const protoFile = path.resolve(
  import.meta.dirname,
  '../../../proto/kith/moderation/v1/moderation_admin.proto',
);

/** Each RPC of ModerationAdminService with the least role its comment states, e.g. "(MODERATOR)". */
function rolesStatedInProto(): Map<string, Role | undefined> {
  const lines = readFileSync(protoFile, 'utf8').split('\n');
  const stated = new Map<string, Role | undefined>();
  lines.forEach((line, i) => {
    const rpcName = /^\s*rpc (\w+)\(/.exec(line)?.[1];
    if (!rpcName) return;
    const comment: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*\/\//.test(lines[j] ?? ''); j--) comment.unshift(lines[j]!);
    const role = /\((TRIAGE|MODERATOR|ADMIN)\b/.exec(comment.join(' '))?.[1];
    stated.set(rpcName, role?.toLowerCase() as Role | undefined);
  });
  return stated;
}

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [moderationModule] });
});
afterAll(async () => {
  await h?.stop();
});

test('every staff RPC states its least role in its proto comment, and module.ts wires that role', () => {
  const roles: Readonly<Record<string, Role>> = moderationRoles;
  const stated = rolesStatedInProto();
  assert.deepEqual(
    [...stated.keys()].sort(),
    ModerationAdminService.methods.map((m) => m.name).sort(),
  );
  for (const method of ModerationAdminService.methods) {
    assert.ok(
      stated.get(method.name),
      `${method.name}: no (TRIAGE|MODERATOR|ADMIN) in its comment`,
    );
    // As the authentication interceptor resolves it: the method's own role, else the service's.
    const wired =
      roles[`${ModerationAdminService.typeName}/${method.name}`] ??
      roles[ModerationAdminService.typeName];
    assert.equal(wired, stated.get(method.name), `${method.name}: wired role vs proto comment`);
  }
});

/** Rows of every moderation table: a refused call leaves them as they were. */
async function tableRows() {
  const db = h.kith.contexts.get('moderation')!.database!.db;
  const { rows } = await sql<{ t: string; n: string }>`
    select table_name as t,
      (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I.%I',
        table_schema, table_name), false, true, '')))[1]::text as n
    from information_schema.tables where table_schema = 'moderation' order by table_name`.execute(
    db,
  );
  return rows;
}

test('each staff RPC refuses callers below its stated role before validating, and lets the rest through', async () => {
  const stated = rolesStatedInProto();
  for (const role of ['user', 'triage', 'moderator', 'admin'] as const) {
    const before = await tableRows();
    let refused = 0;
    const caller = await seedUser(h, { role });
    const staff = createClient(ModerationAdminService, h.as(caller.accessToken).transport);
    for (const method of ModerationAdminService.methods) {
      const call = staff[method.localName as keyof typeof staff] as (
        req: object,
      ) => Promise<unknown>;
      const code = await codeOf(call({}));
      const least = stated.get(method.name) ?? 'admin';
      if (roleAtLeast(role, least)) {
        assert.ok(
          code === 'ok' || code === Code.Unimplemented || code === Code.InvalidArgument,
          `${role} → ${method.name}: ${String(code)}`,
        );
      } else {
        assert.equal(code, Code.PermissionDenied, `${role} → ${method.name}`);
        refused += 1;
      }
    }
    // A user is refused everything, and changes nothing.
    if (refused === ModerationAdminService.methods.length)
      assert.deepEqual(await tableRows(), before);
  }
});

test('reports and appeals take a signed-in session, never an API key', async () => {
  const user = await seedUser(h);
  const { secret } = await h.as(user.accessToken).auth.createApiKey({
    name: 'every scope',
    scopes: Object.values(ApiKeyScope).filter(
      (s): s is ApiKeyScope => typeof s === 'number' && s !== ApiKeyScope.UNSPECIFIED,
    ),
    proof: { case: 'currentPassword', value: user.password },
  });
  const byKey = createClient(ModerationService, h.as(secret).transport);
  assert.equal(await codeOf(byKey.report({})), Code.PermissionDenied);
  assert.equal(await codeOf(byKey.listMyActions({})), Code.PermissionDenied);
  assert.equal(await codeOf(byKey.appeal({})), Code.PermissionDenied);
  const bySession = createClient(ModerationService, h.as(user.accessToken).transport);
  assert.equal(await codeOf(bySession.listMyActions({})), 'ok');
});
