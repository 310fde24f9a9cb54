import type { ServiceImpl } from '@connectrpc/connect';
import type { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { loadContactsConfig } from '../contacts/contacts-config.js';
import { getEscalationLadder, updateEscalationLadder } from './ladder.js';

/**
 * The escalation ladder and emergency contacts: a signed-in session only (the module's
 * apiKeyScopes keep API keys out, since the ladder exposes contacts' numbers); changes need
 * re-auth. Retries are deduplicated by the idempotency interceptor.
 */
export function ladderHandlers(app: SupportApp): Partial<ServiceImpl<typeof SupportService>> {
  const keys = loadContactsConfig(app.ctx);
  return {
    async getEscalationLadder(_req, ctx) {
      return getEscalationLadder(app, signedInCaller(app, ctx));
    },
    async updateEscalationLadder(req, ctx) {
      return updateEscalationLadder(app, keys, signedInCaller(app, ctx), req);
    },
  };
}
