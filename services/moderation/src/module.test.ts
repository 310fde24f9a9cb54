import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { moderationRoles } from './module.js';

const protoFile = path.resolve(
  import.meta.dirname,
  '../../../proto/kith/moderation/v1/moderation_admin.proto',
);

/** Each RPC of ModerationAdminService with the least role its comment states, e.g. "(MODERATOR)". */
function rolesStatedInProto(): Map<string, string> {
  const lines = readFileSync(protoFile, 'utf8').split('\n');
  const stated = new Map<string, string>();
  lines.forEach((line, i) => {
    const rpcName = /^\s*rpc (\w+)\(/.exec(line)?.[1];
    if (!rpcName) return;
    const comment: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*\/\//.test(lines[j] ?? ''); j--) comment.unshift(lines[j]!);
    const role = /\((TRIAGE|MODERATOR|ADMIN)\b/.exec(comment.join(' '))?.[1];
    stated.set(rpcName, role?.toLowerCase() ?? 'none stated');
  });
  return stated;
}

test('every staff RPC is wired to the least role its proto comment states', () => {
  const roles: Readonly<Record<string, string>> = moderationRoles;
  const stated = rolesStatedInProto();
  assert.deepEqual(
    [...stated.keys()].sort(),
    ModerationAdminService.methods.map((m) => m.name).sort(),
  );
  for (const method of ModerationAdminService.methods) {
    // As the authentication interceptor resolves it: the method's own role, else the service's.
    const wired =
      roles[`${ModerationAdminService.typeName}/${method.name}`] ??
      roles[ModerationAdminService.typeName];
    assert.equal(wired, stated.get(method.name), `${method.name}: wired role vs proto comment`);
  }
});
