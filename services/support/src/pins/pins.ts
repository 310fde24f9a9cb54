import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  SafetyPinStatusSchema,
  SetSafetyPinsRequest,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { requireRecentAuth } from '@kith/authn';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { findPins, savePins } from '../incidents/incident-store.js';
import { hashPin } from './pin-hash.js';

type PinStatus = MessageInitShape<typeof SafetyPinStatusSchema>;

function statusOf(row: Awaited<ReturnType<typeof findPins>>): PinStatus {
  return {
    cancelPinSet: !!row?.cancel_hash,
    duressPinSet: !!row?.duress_hash,
    updatedAt: row ? timestampFromDate(row.updated_at) : undefined,
  };
}

/** SetSafetyPins: replaces both PINs (empty removes); needs a recent sign-in. */
export async function setSafetyPins(
  app: SupportApp,
  caller: SignedInCaller,
  req: SetSafetyPinsRequest,
): Promise<PinStatus> {
  requireRecentAuth(caller.principal, caller.now);
  const row = {
    user_id: caller.principal.userId,
    cancel_hash: req.cancelPin ? await hashPin(req.cancelPin) : null,
    duress_hash: req.duressPin ? await hashPin(req.duressPin) : null,
    updated_at: caller.now,
  };
  await app.database.transaction((trx) => savePins(trx, row));
  return statusOf(row);
}

/** GetSafetyPinStatus: whether each PIN is set, never the PINs. */
export async function getSafetyPinStatus(
  app: SupportApp,
  caller: SignedInCaller,
): Promise<PinStatus> {
  return statusOf(await findPins(app.database.db, caller.principal.userId));
}
