import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Revocation } from '@kith/authn';
import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import { validAfterSeconds } from '../tokens/access-token.js';

/**
 * Use cases publish revocations (sessions, tokens_valid_after, API keys) to the shared cache
 * right after their commit (AuthApp.revokeOnCommit). If the process dies between the two, the committed event still arrives here (outbox, at least once) and the
 * cache learns it: a revocation can be late by a crash, never lost.
 */
export function revocationBackstop(app: AuthApp): ConsumerSpec<AuthDatabase> {
  return {
    durable: 'revocation-backstop',
    subjects: 'kith.events.auth.>',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      let revocation: Revocation | undefined;
      if (payload.case === 'authApiKeyRevoked') {
        revocation = { kind: 'api_key', keyHash: payload.value.keyHash };
      } else if (payload.case === 'authSessionRevoked') {
        revocation = { kind: 'session', sessionId: payload.value.sessionId };
      } else if (payload.case === 'authTokensInvalidated' && payload.value.validAfter) {
        revocation = {
          kind: 'user',
          userId: payload.value.userId,
          validAfter: validAfterSeconds(timestampDate(payload.value.validAfter)),
        };
      }
      if (revocation) app.revokeOnCommit(trx, [revocation]);
    },
  };
}
