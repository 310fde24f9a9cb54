import { create } from '@bufbuild/protobuf';
import { durationFromMs, durationMs } from '@bufbuild/protobuf/wkt';
import { requireRecentAuth } from '@kith/authn';
import { AbortedError } from '@kith/errors';
import type {
  GetEscalationLadderResponse,
  UpdateEscalationLadderRequest,
  UpdateEscalationLadderResponse,
} from '@kith/gen/kith/support/v1/check_in_pb.js';
import {
  EmergencyContactSchema,
  EscalationLadderSchema,
  EscalationStepSchema,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { EscalationLadder } from '@kith/gen/kith/support/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import type { StoredStep } from '../db/schema.js';
import type { ContactKeys } from '../contacts/contacts.js';
import { saveContacts } from '../contacts/contacts.js';
import { listContacts } from '../contacts/contacts-store.js';
import type { ContactRow } from '../contacts/contacts-store.js';
import { findLadder, lockLadder, writeLadder } from './ladder-store.js';
import { DEFAULT_LADDER } from './steps.js';

function ladderMessage(steps: readonly StoredStep[], contacts: ContactRow[]): EscalationLadder {
  return create(EscalationLadderSchema, {
    steps: steps.map((s) =>
      create(EscalationStepSchema, { after: durationFromMs(s.afterMs), target: s.target }),
    ),
    emergencyContacts: contacts.map((c) =>
      create(EmergencyContactSchema, {
        name: c.name,
        phone: c.phone,
        email: c.email,
        state: c.state,
      }),
    ),
  });
}

/** The caller's ladder (the default until they first change it) with their contacts. */
export async function getEscalationLadder(
  app: SupportApp,
  caller: SignedInCaller,
): Promise<GetEscalationLadderResponse> {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const [row, contacts] = await Promise.all([findLadder(db, userId), listContacts(db, userId)]);
  return {
    $typeName: 'kith.support.v1.GetEscalationLadderResponse',
    ladder: ladderMessage(row ? row.steps : DEFAULT_LADDER, contacts),
    isDefault: !row,
    version: row ? Number(row.version) : 0,
  };
}

/**
 * Replaces the caller's ladder and contacts (re-auth within the hour; shape and ordering were
 * checked by protovalidate). `base_version` must be the current version (0 for the default),
 * else Aborted. New contacts get their notice in the same transaction (contacts.ts).
 */
export async function updateEscalationLadder(
  app: SupportApp,
  keys: ContactKeys,
  caller: SignedInCaller,
  req: UpdateEscalationLadderRequest,
): Promise<UpdateEscalationLadderResponse> {
  requireRecentAuth(caller.principal, caller.now);
  const userId = caller.principal.userId;
  const steps: StoredStep[] = (req.ladder?.steps ?? []).map((s) => ({
    afterMs: s.after ? Number(durationMs(s.after)) : 0,
    target: s.target,
  }));
  const stale = () => new AbortedError('the ladder changed: fetch it again and reapply');
  return app.database.transaction(async (trx) => {
    const current = await lockLadder(trx, userId);
    const version = current ? Number(current.version) : 0;
    if (req.baseVersion !== version) throw stale();
    const contacts = await saveContacts(trx, keys, {
      userId,
      contacts: (req.ladder?.emergencyContacts ?? []).map((c) => ({
        name: c.name,
        phone: c.phone,
        email: c.email,
      })),
      now: caller.now,
    });
    // Two first edits at once: only one inserts; the other is stale as above.
    if (!(await writeLadder(trx, { userId, steps, baseVersion: version, at: caller.now }))) {
      throw stale();
    }
    return {
      $typeName: 'kith.support.v1.UpdateEscalationLadderResponse',
      ladder: ladderMessage(steps, contacts),
      version: version + 1,
    };
  });
}
