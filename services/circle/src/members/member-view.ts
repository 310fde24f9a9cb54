import type { MessageInitShape } from '@bufbuild/protobuf';
import type { MemberSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { MemberRow } from '../circles/circle-store.js';
import { memberMessage } from '../circles/circle-view.js';
import type { CircleDatabase } from '../db/schema.js';
import { summariesOf } from '../users/user-store.js';
import { membershipVersion } from './member-store.js';

/**
 * A member as shown, with their summary: at `version` when a change just gave them one, else at
 * the membership's current version.
 */
export async function memberView(
  db: Kysely<CircleDatabase>,
  row: MemberRow,
  version?: bigint,
): Promise<MessageInitShape<typeof MemberSchema>> {
  const [summaries, current] = await Promise.all([
    summariesOf(db, [row.user_id]),
    version ?? membershipVersion(db, row.circle_id, row.user_id),
  ]);
  return memberMessage(row, summaries.get(row.user_id)!, current);
}
