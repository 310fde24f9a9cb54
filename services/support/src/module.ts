import { defineService, rpc as rpcOf } from '@kith/runtime';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';

const rpc = (method: keyof typeof SupportService.method) => rpcOf(SupportService, method);

/**
 * What an API key may call here. `sos:raise` is granted for RaiseSos alone and `support:write`
 * does not include it, so a panic-button key can raise an SOS and nothing else, and a broader
 * key cannot raise one. SetSafetyPins (needs re-auth on a session, which a key has not) and
 * UpdateEscalationLadder (a leaked key must not be able to quieten the safety net) stay with a
 * signed-in user.
 */
const apiKeyScopes = {
  [rpc('raiseSos')]: 'sos:raise',
  [rpc('getIncident')]: 'support:read',
  [rpc('listIncidents')]: 'support:read',
  [rpc('getIncidentTimeline')]: 'support:read',
  [rpc('exportIncident')]: 'support:read',
  [rpc('listCheckIns')]: 'support:read',
  [rpc('getEscalationLadder')]: 'support:read',
  [rpc('createHelpRequest')]: 'support:write',
  [rpc('cancelSos')]: 'support:write',
  [rpc('acknowledge')]: 'support:write',
  [rpc('respond')]: 'support:write',
  [rpc('claimResponse')]: 'support:write',
  [rpc('shareLocation')]: 'support:write',
  [rpc('stopSharingLocation')]: 'support:write',
  [rpc('resolve')]: 'support:write',
  [rpc('startCheckIn')]: 'support:write',
  [rpc('checkIn')]: 'support:write',
  [rpc('extendCheckIn')]: 'support:write',
  [rpc('cancelCheckIn')]: 'support:write',
  [rpc('requestCheckIn')]: 'support:write',
} as const;

/** Help requests, SOS, escalation, check-ins and location sharing (its own issue). */
export const supportModule = defineService({
  name: 'support',
  services: [SupportService],
  apiKeyScopes,
  migrations: {},
  create: () => ({}),
});
