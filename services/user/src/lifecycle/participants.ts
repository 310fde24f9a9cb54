import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';

/**
 * The services that take part in the data sagas: every KithService value
 * (data_events.proto). The export waits for a part from each, the erasure saga for an
 * acknowledgement from each.
 */
export const SAGA_SERVICES: readonly KithService[] = [
  KithService.AUTH,
  KithService.USER,
  KithService.POST,
  KithService.CIRCLE,
  KithService.SUPPORT,
  KithService.MODERATION,
];

/** `KithService.POST` → `post`: the part's folder in the archive and its object name. */
export function serviceSlug(service: KithService): string {
  const name = KithService[service];
  if (!name || service === KithService.UNSPECIFIED) throw new Error(`no such service ${service}`);
  return name.toLowerCase();
}

/** Where a service's part of an export lives in the export bucket. */
export function partObjectKey(dataExportId: string, service: KithService): string {
  return `exports/${dataExportId}/${serviceSlug(service)}.zip`;
}

export function exportPrefix(dataExportId: string): string {
  return `exports/${dataExportId}/`;
}

export function archiveObjectKey(dataExportId: string): string {
  return `exports/${dataExportId}/archive.zip`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Event payloads are not validated on the way in: a malformed id is ignored, never queried. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
