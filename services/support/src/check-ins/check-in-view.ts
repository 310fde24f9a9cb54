import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { CheckInSchema } from '@kith/gen/kith/support/v1/types_pb.js';
import type { CheckIn } from '@kith/gen/kith/support/v1/types_pb.js';
import type { CheckInRow } from './check-in-store.js';

const stamp = (at: Date | null) => (at ? timestampFromDate(at) : undefined);

/** The CheckIn message of a row (never the word or its wrong tries). */
export function checkInView(row: CheckInRow): CheckIn {
  return create(CheckInSchema, {
    checkInId: row.id,
    userId: row.user_id,
    status: row.status,
    dueAt: timestampFromDate(row.due_at),
    circleIds: row.circle_ids,
    destination: row.destination,
    hasCheckInWord: row.word_hash !== null,
    extensionCount: row.extension_count,
    requestedByUserId: row.requested_by ?? '',
    incidentId: row.incident_id ?? '',
    createdAt: timestampFromDate(row.created_at),
    completedAt: stamp(row.completed_at),
    remindedAt: stamp(row.reminded_at),
    graceUntil: stamp(row.grace_until),
    version: BigInt(row.version),
  });
}
