import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import { normalizePageSize, toPage, withTables } from '@kith/db';
import { InvalidArgumentError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { GraphDb } from '../graph/relationship-store.js';
import type { ProfilesDb } from './profile-store.js';
import { searchProfiles } from './search-store.js';
import { trigramsOf } from './search-trigrams.js';

/**
 * Users whose username or display name starts with the query or nearly matches it (a typo),
 * among discoverable users the caller may see; a leading "@" searches usernames only.
 * Paginated by rank, with page tokens bound to the caller and the query.
 */
export async function searchUsers(
  app: UserApp,
  caller: SignedInCaller,
  input: { query: string; followingOnly: boolean; pageSize: number; pageToken: string },
): Promise<{ users: MessageInitShape<typeof UserSummarySchema>[]; nextPageToken: string }> {
  const viewerId = caller.principal.userId;
  let text = input.query.trim().toLowerCase();
  const usernameOnly = text.startsWith('@');
  if (usernameOnly) text = text.slice(1).trim();
  if (text === '') {
    throw new InvalidArgumentError([{ field: 'query', message: 'must contain a name to search' }]);
  }
  const binding = `user.SearchUsers:${viewerId}:${String(input.followingOnly)}:${usernameOnly ? '@' : ''}${text}`;
  const cursor = input.pageToken ? app.pageTokens.decode(input.pageToken, binding) : undefined;
  const pageSize = normalizePageSize(input.pageSize);
  const rows = await searchProfiles(withTables<ProfilesDb & GraphDb>(app.database.db), {
    viewerId,
    text,
    trigrams: trigramsOf(text),
    usernameOnly,
    followingOnly: input.followingOnly,
    now: caller.now,
    pageSize,
    cursor,
  });
  const page = toPage(rows, pageSize, (row) => ({ keys: [row.score], id: row.user_id }));
  return {
    users: page.items.map((row) => ({
      userId: row.user_id,
      username: row.username,
      displayName: row.display_name,
      avatarUrl: row.avatar_url,
      locked: row.locked,
    })),
    nextPageToken: page.nextCursor ? app.pageTokens.encode(page.nextCursor, binding) : '',
  };
}
