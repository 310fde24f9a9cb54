import type { MessageInitShape } from '@bufbuild/protobuf';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { MediaAttachmentKind } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { Profile, ProfileSchema } from '@kith/gen/kith/user/v1/types_pb.js';
import { withTables } from '@kith/db';
import { AbortedError, InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { FieldViolation } from '@kith/errors';
import { checkContentFailOpen, holdMedia, releaseMedia } from '@kith/runtime';
import type { MediaHold, SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { acceptPendingFollowRequests } from '../graph/unlock.js';
import { followCounts } from '../graph/relationship-store.js';
import type { GraphDb } from '../graph/relationship-store.js';
import type { ProfileClients } from './internal-clients.js';
import { forgetOnCommit } from './profile-cache.js';
import { findProfile, lockProfile, updateProfileFields } from './profile-store.js';
import type { ProfileChanges, ProfileRow, ProfilesDb } from './profile-store.js';
import type { StoredLink } from './profile-table.js';
import { profileMessage } from './profile-view.js';

export const REJECTED_BY_RULE = 'user.rejected_by_rule';

// Control characters: none in a display name or link label; a bio may break lines.
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_NEWLINE = /[^\P{Cc}\n]/u;

function formatViolations(profile: Profile, paths: ReadonlySet<string>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (paths.has('display_name') && CONTROL.test(profile.displayName)) {
    violations.push({ field: 'profile.display_name', message: 'must be a single line of text' });
  }
  if (paths.has('bio') && CONTROL_BUT_NEWLINE.test(profile.bio)) {
    violations.push({ field: 'profile.bio', message: 'must be plain text' });
  }
  if (paths.has('links')) {
    profile.links.forEach((link, i) => {
      if (CONTROL.test(link.label)) {
        violations.push({
          field: `profile.links[${i}].label`,
          message: 'must be a single line of text',
        });
      }
    });
  }
  return violations;
}

const sameLinks = (a: readonly StoredLink[], b: readonly StoredLink[]) =>
  a.length === b.length &&
  a.every((link, i) => link.label === b[i]!.label && link.url === b[i]!.url);

/** The fields of the mask whose values differ from the row (the avatar handled apart). */
function changesOf(row: ProfileRow, profile: Profile, paths: ReadonlySet<string>): ProfileChanges {
  const changes: ProfileChanges = {};
  if (paths.has('display_name') && profile.displayName !== row.display_name) {
    changes.displayName = profile.displayName;
  }
  if (paths.has('bio') && profile.bio !== row.bio) changes.bio = profile.bio;
  const links = profile.links.map((link) => ({ label: link.label, url: link.url }));
  if (paths.has('links') && !sameLinks(links, row.links)) changes.links = links;
  if (paths.has('locked') && profile.locked !== row.locked) changes.locked = profile.locked;
  if (paths.has('hide_follow_lists') && profile.hideFollowLists !== row.hide_follow_lists) {
    changes.hideFollowLists = profile.hideFollowLists;
  }
  return changes;
}

/**
 * Moderation's pre-publication check of the changed text (scope PROFILE): a violation per
 * rejected field; fails open (see checkContentFailOpen).
 */
async function checkContent(
  app: UserApp,
  clients: ProfileClients,
  userId: string,
  changes: ProfileChanges,
): Promise<void> {
  const fields: { field: string; text: string }[] = [];
  if (changes.displayName) fields.push({ field: 'display_name', text: changes.displayName });
  if (changes.bio) fields.push({ field: 'bio', text: changes.bio });
  changes.links?.forEach((link, i) => {
    fields.push({ field: `links[${i}].label`, text: link.label });
    fields.push({ field: `links[${i}].url`, text: link.url });
  });
  await checkContentFailOpen(
    clients.moderation,
    app.logger,
    {
      authorId: userId,
      scope: RuleScope.PROFILE,
      fields,
      edited: { kind: { case: 'userId', value: userId } },
    },
    { fieldPrefix: 'profile.', ruleId: REJECTED_BY_RULE },
  );
}

const avatarHold = (userId: string, mediaId: string): MediaHold => ({
  ownerUserId: userId,
  mediaId,
  kind: MediaAttachmentKind.PROFILE_AVATAR,
  refId: userId,
});

/**
 * Updates the caller's profile fields named in the mask. Text changes pass moderation first;
 * a new avatar is held with post before it is stored and the previous one released after
 * commit. Every change bumps the profile's version and publishes user.profile_updated; a
 * request that changes nothing changes nothing (no version, no event).
 */
export async function updateProfile(
  app: UserApp,
  clients: ProfileClients,
  caller: SignedInCaller,
  input: { profile: Profile; paths: readonly string[] },
): Promise<MessageInitShape<typeof ProfileSchema>> {
  const userId = caller.principal.userId;
  const paths = new Set(input.paths);
  const violations = formatViolations(input.profile, paths);
  if (violations.length > 0) throw new InvalidArgumentError(violations);

  const current = await findProfile(withTables<ProfilesDb>(app.database.db), userId);
  if (!current) throw new NotFoundError('profile not found');
  await checkContent(app, clients, userId, changesOf(current, input.profile, paths));

  const newAvatar = paths.has('avatar_media_id') ? input.profile.avatarMediaId : undefined;
  let attached: { mediaId: string; url: string } | undefined;
  if (newAvatar && newAvatar !== current.avatar_media_id) {
    attached = {
      mediaId: newAvatar,
      url: await holdMedia(clients.post, avatarHold(userId, newAvatar), 'profile.avatar_media_id'),
    };
  }

  let row: ProfileRow;
  try {
    row = await app.database.transaction(async (trx) => {
      const db = withTables<ProfilesDb>(trx);
      const locked = await lockProfile(db, userId);
      if (!locked) throw new NotFoundError('profile not found');
      const changes = changesOf(locked, input.profile, paths);
      const previousAvatar = locked.avatar_media_id;
      if (newAvatar !== undefined && newAvatar !== (previousAvatar ?? '')) {
        // The avatar changed since it was read and this request's id was not held: retry.
        if (newAvatar && attached?.mediaId !== newAvatar) {
          throw new AbortedError('the profile changed meanwhile; try again');
        }
        changes.avatarMediaId = newAvatar || null;
        changes.avatarUrl = attached?.url ?? '';
      }
      if (Object.keys(changes).length === 0) return locked;
      const updated = await updateProfileFields(db, userId, changes, caller.now);
      await app.emit(trx, userId, {
        case: 'userProfileUpdated',
        value: {
          userId,
          username: updated.username,
          displayName: updated.display_name,
          avatarUrl: updated.avatar_url,
          locked: updated.locked,
          hideFollowLists: updated.hide_follow_lists,
          avatarMediaId: updated.avatar_media_id ?? '',
          bio: updated.bio,
          links: updated.links,
          version: BigInt(updated.version),
        },
      });
      // Unlocking: the requests pending to the account have nothing left to wait for.
      if (changes.locked === false) await acceptPendingFollowRequests(app, trx, userId, caller.now);
      forgetOnCommit(app, trx, userId);
      if (changes.avatarMediaId !== undefined && previousAvatar) {
        trx.onCommit(() =>
          releaseMedia(clients.post, app.logger, avatarHold(userId, previousAvatar)),
        );
      }
      return updated;
    });
  } catch (err) {
    // The change did not happen: release what was held for it.
    if (attached) {
      await releaseMedia(clients.post, app.logger, avatarHold(userId, attached.mediaId));
    }
    throw err;
  }
  const counts = await followCounts(withTables<GraphDb>(app.database.db), [userId]);
  return profileMessage(row, {
    isOwner: true,
    counts: counts.get(userId) ?? { followers: 0, following: 0 },
  });
}
