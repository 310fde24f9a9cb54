import { defineService, rpc as rpcOf } from '@kith/runtime';
import { SupportAdminService } from '@kith/gen/kith/support/v1/support_admin_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';

const rpc = (method: keyof typeof SupportService.method) => rpcOf(SupportService, method);

/**
 * What an API key may call here. `sos:raise` is granted for RaiseSos alone and `support:write`
 * does not include it, so a panic-button key can raise an SOS and nothing else, and a broader
 * key cannot raise one. A key never touches what decides who learns of an SOS or how it ends:
 * SetSafetyPins and UpdateEscalationLadder need re-auth on a session (which a key has not, and
 * a leaked key must not be able to quieten the safety net), and GetSafetyPinStatus stays with
 * them. SupportAdminService is staff-only and never reachable by a key.
 */
const apiKeyScopes = {
  [rpc('raiseSos')]: 'sos:raise',
  [rpc('getIncident')]: 'support:read',
  [rpc('listIncidents')]: 'support:read',
  [rpc('listResponders')]: 'support:read',
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
  [rpc('addIncidentNote')]: 'support:write',
  [rpc('startCheckIn')]: 'support:write',
  [rpc('checkIn')]: 'support:write',
  [rpc('extendCheckIn')]: 'support:write',
  [rpc('cancelCheckIn')]: 'support:write',
  [rpc('requestCheckIn')]: 'support:write',
} as const;

/** Help requests, SOS, escalation, check-ins and location sharing (its own issue). */
export const supportModule = defineService({
  name: 'support',
  services: [SupportService, SupportAdminService],
  // Staff RPCs refuse everyone else before their requests are even validated.
  requiredRoles: { [SupportAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: {},
  create: () => ({}),
});
