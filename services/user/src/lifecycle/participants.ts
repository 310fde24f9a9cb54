import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';

export { partObjectKey, serviceSlug } from '@kith/runtime';

/**
 * Every service the data sagas know of: every KithService value (data_events.proto). A
 * service on this list may announce a part or an acknowledgement; only the participants
 * (below) are waited for.
 */
export const SAGA_SERVICES: readonly KithService[] = [
  KithService.AUTH,
  KithService.USER,
  KithService.POST,
  KithService.CIRCLE,
  KithService.SUPPORT,
  KithService.MODERATION,
];

/**
 * The services that take part in the data sagas today: each one writes its part of every data
 * export (a consumer of user.export_requested) and acknowledges every erasure (a consumer of
 * user.erased). The export waits for a part from each, the erasure saga for an acknowledgement
 * from each; a service that consumes neither must not be waited for, or every export fails
 * after 24 h and every erasure waits forever (services/embedded/src/data-participants.test.ts
 * fails until the list and the modules' consumers agree).
 */
export const DATA_PARTICIPANTS: readonly KithService[] = [
  KithService.AUTH,
  KithService.USER,
  KithService.POST,
  KithService.CIRCLE,
  KithService.SUPPORT,
  KithService.MODERATION,
];

export function exportPrefix(dataExportId: string): string {
  return `exports/${dataExportId}/`;
}

export function archiveObjectKey(dataExportId: string): string {
  return `exports/${dataExportId}/archive.zip`;
}

/** Event payloads are not validated on the way in: a malformed id is ignored, never queried. */
export { isUuid } from '@kith/bus';
