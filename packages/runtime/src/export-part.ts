import { isUuid } from '@kith/bus';
import type { Trx } from '@kith/db';
import type { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { Logger } from '@kith/logging';
import { decodeEvent } from './events.js';
import type { EventPayload } from './events.js';
import { writeExportPart } from './export-bucket.js';
import type { BlobStorage } from './export-bucket.js';
import type { ConsumerSpec } from './module.js';

/**
 * A participant's step 2 of the export saga (data_events.proto): on user.export_requested it
 * writes its part, `dataOf` the user as JSON documents, into the export bucket at the saga's
 * key and announces it with data.export_part_ready in the same transaction. A malformed id is
 * ignored (event payloads are not validated on the way in); a redelivery writes the part again
 * and the user service keeps the part announced first.
 */
export function exportPartConsumer<DB>(input: {
  durable: string;
  service: KithService;
  blobs: BlobStorage;
  clock: () => Date;
  emit(trx: Trx<DB>, payload: EventPayload): Promise<unknown>;
  dataOf(trx: Trx<DB>, userId: string, now: Date): Promise<Record<string, unknown>>;
  logger?: Logger;
}): ConsumerSpec<DB> {
  return {
    durable: input.durable,
    subjects: 'kith.events.user.export_requested',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userExportRequested') return;
      const { userId, dataExportId } = payload.value;
      if (!isUuid(userId) || !isUuid(dataExportId)) return;
      const now = input.clock();
      const part = await writeExportPart(input.blobs, {
        dataExportId,
        service: input.service,
        files: await input.dataOf(trx, userId, now),
        modifiedAt: now,
      });
      await input.emit(trx, {
        case: 'dataExportPartReady',
        value: { dataExportId, userId, service: input.service, ...part },
      });
      input.logger?.info(
        { dataExportId, sizeBytes: Number(part.sizeBytes) },
        'export part written',
      );
    },
  };
}
