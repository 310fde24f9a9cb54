import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { GetReportSnapshotResponseSchema } from '@kith/gen/kith/user/v1/internal_pb.js';
import { withTables } from '@kith/db';
import { NotFoundError } from '@kith/errors';
import type { UserApp } from '../app.js';
import { findProfile } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';

/**
 * A snapshot of a reported profile for moderation (UserInternalService.GetReportSnapshot).
 * Blocks either way do not hide it (the snapshot goes to staff, not to the reporter), nor does
 * a disabling, a suspension or a pending deletion; NotFound when the profile does not exist or
 * is erased.
 */
export async function getReportSnapshot(
  app: UserApp,
  input: { reporterId: string; id: string },
): Promise<MessageInitShape<typeof GetReportSnapshotResponseSchema>> {
  const row = await findProfile(withTables<ProfilesDb>(app.database.db), input.id);
  if (!row || row.deleted_at !== null) throw new NotFoundError('profile not found');
  return {
    profile: {
      userId: row.user_id,
      username: row.username,
      displayName: row.display_name,
      bio: row.bio,
      links: row.links.map((link) => ({ label: link.label, url: link.url })),
      avatarMediaId: row.avatar_media_id ?? '',
      avatarUrl: row.avatar_url,
      locked: row.locked,
      accountCreatedAt: timestampFromDate(row.created_at),
      profileVersion: BigInt(row.version),
      capturedAt: timestampFromDate(app.clock()),
    },
  };
}
