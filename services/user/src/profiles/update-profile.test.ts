import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { ViolationsSchema } from '@kith/gen/buf/validate/validate_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { MediaAttachmentKind, PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { AttachMediaRequest, DetachMediaRequest } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { CheckContentRequest } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import type { Subscription } from '@kith/bus';
import { serveInternal } from '@kith/runtime';
import {
  rejectionOf,
  violatedFields,
  seedUser,
  startAuthHarness,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { profileEventsOf, withProfile, userContext, userDb, users } from './testing/support.js';

import { userModule } from '../module.js';

let h: AuthHarness;
/** A signed-in user with a profile and settings. */
const newUser = async (o: { username?: string } = {}) =>
  withProfile(h, await seedUser(h, o.username ? { username: o.username } : {}));

// Stands in for the moderation service (ModerationInternalService.CheckContent), which does not
// exist yet: it rejects any field whose text contains "forbidden", and can be made slow.
const checks: CheckContentRequest[] = [];
let moderationDelayMs = 0;
let moderation: Subscription[] = [];
async function serveModeration() {
  const ctx = userContext(h);
  moderation = await serveInternal(
    ctx.bus,
    ModerationInternalService,
    {
      async checkContent(request) {
        checks.push(request);
        if (moderationDelayMs) await new Promise((r) => setTimeout(r, moderationDelayMs));
        const rejected = request.fields.filter((f) => f.text.includes('forbidden'));
        return {
          rejected: rejected.length > 0,
          rejectedFields: rejected.map((f) => f.field),
          category: rejected.length > 0 ? ReportCategory.SPAM : ReportCategory.UNSPECIFIED,
        };
      },
    },
    ctx.logger,
  );
}
async function stopModeration() {
  await Promise.all(moderation.map((s) => s.stop()));
  moderation = [];
}

// Stands in for the post service (PostInternalService.AttachMedia / DetachMedia): media it knows
// by owner; NOT_READY is a video still processing; `postDown` answers Unavailable.
const READY = '0190f2f6-6f3c-7cc0-8b5c-7a00000000a1';
const READY_2 = '0190f2f6-6f3c-7cc0-8b5c-7a00000000a2';
const NOT_READY = '0190f2f6-6f3c-7cc0-8b5c-7a00000000a3';
const UNKNOWN = '0190f2f6-6f3c-7cc0-8b5c-7a00000000a4';
const owners = new Map<string, string>();
const attached: AttachMediaRequest[] = [];
const detached: DetachMediaRequest[] = [];
let postDown = false;
let post: Subscription[] = [];

beforeAll(async () => {
  h = await startAuthHarness({ modules: [userModule] });
  await serveModeration();
  const ctx = userContext(h);
  post = await serveInternal(
    ctx.bus,
    PostInternalService,
    {
      async attachMedia(request) {
        if (postDown) throw new ConnectError('post is down', Code.Unavailable);
        if (owners.get(request.mediaId) !== request.ownerUserId) {
          throw new ConnectError('media not found', Code.NotFound);
        }
        if (request.mediaId === NOT_READY) {
          throw new ConnectError('media not ready', Code.FailedPrecondition);
        }
        attached.push(request);
        return {
          media: { mediaId: request.mediaId, url: `https://cdn.kith.test/${request.mediaId}.webp` },
        };
      },
      async detachMedia(request) {
        detached.push(request);
        return {};
      },
    },
    ctx.logger,
  );
});
afterAll(async () => {
  await stopModeration();
  await Promise.all(post.map((s) => s.stop()));
  await h?.stop();
});
beforeEach(() => {
  checks.length = 0;
  attached.length = 0;
  detached.length = 0;
  moderationDelayMs = 0;
  postDown = false;
});

test('an update changes only the fields in the mask, bumps the version and publishes it', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  const before = (await client.getProfile({ lookup: { case: 'userId', value: ann.userId } }))
    .profile!;
  const { profile } = await client.updateProfile({
    profile: {
      displayName: 'Ann Smith',
      bio: 'ignored: not in the mask',
      links: [{ label: 'site', url: 'https://ann.example' }],
      locked: true,
    },
    updateMask: { paths: ['display_name', 'links', 'locked'] },
  });
  assert.equal(profile!.displayName, 'Ann Smith');
  assert.equal(profile!.bio, '');
  assert.deepEqual(
    profile!.links.map((l) => [l.label, l.url]),
    [['site', 'https://ann.example']],
  );
  assert.equal(profile!.locked, true);
  assert.equal(profile!.version, before.version + 1n);
  const events = await profileEventsOf(h, ann.userId);
  const last = events.at(-1)!;
  assert.equal(last.version, profile!.version);
  assert.equal(last.displayName, 'Ann Smith');
  assert.equal(last.locked, true);
  assert.equal(last.links[0]!.url, 'https://ann.example');
  // Moderation saw the text that changed, as a profile edit by its author.
  assert.equal(checks.length, 1);
  assert.equal(checks[0]!.scope, RuleScope.PROFILE);
  assert.equal(checks[0]!.authorId, ann.userId);
  assert.deepEqual(checks[0]!.fields.map((f) => f.field).sort(), [
    'display_name',
    'links[0].label',
    'links[0].url',
  ]);
});

test('an update that changes nothing keeps the version and publishes nothing', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  const first = await client.updateProfile({
    profile: { bio: 'hello' },
    updateMask: { paths: ['bio'] },
  });
  const eventsBefore = (await profileEventsOf(h, ann.userId)).length;
  const again = await client.updateProfile({
    profile: { bio: 'hello' },
    updateMask: { paths: ['bio'] },
  });
  assert.equal(again.profile!.version, first.profile!.version);
  assert.equal((await profileEventsOf(h, ann.userId)).length, eventsBefore);
});

test('bad input answers InvalidArgument naming the fields, and changes nothing', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  const tooLong = await rejectionOf(
    client.updateProfile({
      profile: { displayName: 'x'.repeat(51) },
      updateMask: { paths: ['display_name'] },
    }),
  );
  assert.equal(tooLong.code, Code.InvalidArgument);
  assert.deepEqual(violatedFields(tooLong), ['profile.display_name']);
  const fiveLinks = await rejectionOf(
    client.updateProfile({
      profile: {
        links: Array.from({ length: 5 }, (_, i) => ({ label: `l${i}`, url: 'https://a.example' })),
      },
      updateMask: { paths: ['links'] },
    }),
  );
  assert.equal(fiveLinks.code, Code.InvalidArgument);
  const notHttp = await rejectionOf(
    client.updateProfile({
      profile: { links: [{ label: 'x', url: 'javascript:alert(1)' }] },
      updateMask: { paths: ['links'] },
    }),
  );
  assert.equal(notHttp.code, Code.InvalidArgument);
  const twoLines = await rejectionOf(
    client.updateProfile({
      profile: { displayName: 'Ann\nSmith' },
      updateMask: { paths: ['display_name'] },
    }),
  );
  assert.deepEqual(violatedFields(twoLines), ['profile.display_name']);
  const unknownPath = await rejectionOf(
    client.updateProfile({
      profile: { username: 'someone_else' },
      updateMask: { paths: ['username'] },
    }),
  );
  assert.equal(unknownPath.code, Code.InvalidArgument);
  const { profile } = await client.getProfile({ lookup: { case: 'userId', value: ann.userId } });
  assert.equal(profile!.version, 1n);
  assert.equal(profile!.displayName, ann.username);
});

test('text a moderation rule rejects is refused with a violation on each rejected field', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  const err = await rejectionOf(
    client.updateProfile({
      profile: {
        displayName: 'fine name',
        bio: 'a forbidden bio',
        links: [{ label: 'ok', url: 'https://forbidden.example' }],
      },
      updateMask: { paths: ['display_name', 'bio', 'links'] },
    }),
  );
  assert.equal(err.code, Code.InvalidArgument);
  assert.deepEqual(violatedFields(err).sort(), ['profile.bio', 'profile.links[0].url']);
  const ruleIds = err
    .findDetails(ViolationsSchema)
    .flatMap((d) => d.violations.map((v) => v.ruleId));
  assert.deepEqual(ruleIds, ['user.rejected_by_rule', 'user.rejected_by_rule']);
  const { profile } = await client.getProfile({ lookup: { case: 'userId', value: ann.userId } });
  assert.equal(profile!.bio, '');
  assert.equal(profile!.displayName, ann.username);
  assert.equal((await profileEventsOf(h, ann.userId)).length, 0);
});

test('the moderation check fails open: slow or absent moderation lets the change through', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  moderationDelayMs = 600; // past the 200 ms the check may take
  const slow = await client.updateProfile({
    profile: { bio: 'a forbidden bio while moderation is slow' },
    updateMask: { paths: ['bio'] },
  });
  assert.equal(slow.profile!.bio, 'a forbidden bio while moderation is slow');
  await stopModeration();
  try {
    const absent = await client.updateProfile({
      profile: { bio: 'forbidden, and nobody checks' },
      updateMask: { paths: ['bio'] },
    });
    assert.equal(absent.profile!.bio, 'forbidden, and nobody checks');
  } finally {
    await serveModeration();
  }
});

test('an avatar is held with post before it is stored, and the previous one released', async () => {
  const ann = await newUser();
  owners.set(READY, ann.userId);
  owners.set(READY_2, ann.userId);
  const client = users(h, ann.accessToken);
  const first = await client.updateProfile({
    profile: { avatarMediaId: READY },
    updateMask: { paths: ['avatar_media_id'] },
  });
  assert.equal(first.profile!.avatarMediaId, READY);
  assert.equal(first.profile!.avatarUrl, `https://cdn.kith.test/${READY}.webp`);
  assert.deepEqual(
    attached.map((a) => [a.ownerUserId, a.mediaId, a.kind, a.refId]),
    [[ann.userId, READY, MediaAttachmentKind.PROFILE_AVATAR, ann.userId]],
  );
  assert.equal(detached.length, 0);
  await client.updateProfile({
    profile: { avatarMediaId: READY_2 },
    updateMask: { paths: ['avatar_media_id'] },
  });
  assert.deepEqual(
    detached.map((d) => [d.mediaId, d.kind, d.refId]),
    [[READY, MediaAttachmentKind.PROFILE_AVATAR, ann.userId]],
  );
  // An empty id removes the avatar and releases it.
  const removed = await client.updateProfile({
    profile: { avatarMediaId: '' },
    updateMask: { paths: ['avatar_media_id'] },
  });
  assert.equal(removed.profile!.avatarMediaId, '');
  assert.equal(removed.profile!.avatarUrl, '');
  assert.deepEqual(
    detached.map((d) => d.mediaId),
    [READY, READY_2],
  );
  const events = await profileEventsOf(h, ann.userId);
  assert.deepEqual(
    events.map((e) => e.avatarMediaId),
    [READY, READY_2, ''],
  );
});

test('media post will not hold is refused on avatar_media_id; post down answers Unavailable', async () => {
  const ann = await newUser();
  const bob = await newUser();
  owners.set(NOT_READY, ann.userId);
  const client = users(h, ann.accessToken);
  for (const mediaId of [UNKNOWN, NOT_READY]) {
    const err = await rejectionOf(
      client.updateProfile({
        profile: { avatarMediaId: mediaId },
        updateMask: { paths: ['avatar_media_id'] },
      }),
    );
    assert.equal(err.code, Code.InvalidArgument, mediaId);
    assert.deepEqual(violatedFields(err), ['profile.avatar_media_id']);
  }
  // Someone else's media is not the caller's to use.
  owners.set(READY_2, bob.userId);
  const foreign = await rejectionOf(
    client.updateProfile({
      profile: { avatarMediaId: READY_2 },
      updateMask: { paths: ['avatar_media_id'] },
    }),
  );
  assert.equal(foreign.code, Code.InvalidArgument);
  owners.set(READY, ann.userId);
  postDown = true;
  const down = await rejectionOf(
    client.updateProfile({
      profile: { avatarMediaId: READY },
      updateMask: { paths: ['avatar_media_id'] },
    }),
  );
  assert.equal(down.code, Code.Unavailable);
  const row = await userDb(h)
    .selectFrom('profiles')
    .select(['avatar_media_id', 'version'])
    .where('user_id', '=', ann.userId)
    .executeTakeFirstOrThrow();
  assert.equal(row.avatar_media_id, null);
  assert.equal(row.version, '1');
});

test('a GetProfile right after UpdateProfile sees the change (the cache is dropped)', async () => {
  const ann = await newUser();
  const stranger = await newUser();
  const read = () =>
    users(h, stranger.accessToken).getProfile({ lookup: { case: 'userId', value: ann.userId } });
  assert.equal((await read()).profile!.bio, ''); // now cached
  await users(h, ann.accessToken).updateProfile({
    profile: { bio: 'new bio', hideFollowLists: true },
    updateMask: { paths: ['bio', 'hide_follow_lists'] },
  });
  const after = (await read()).profile!;
  assert.equal(after.bio, 'new bio');
  assert.equal(after.hideFollowLists, true);
  // The read is cached: a write behind the service's back is not seen until a change drops it.
  await userDb(h)
    .updateTable('profiles')
    .set({ bio: 'written behind its back' })
    .where('user_id', '=', ann.userId)
    .execute();
  assert.equal((await read()).profile!.bio, 'new bio');
  await users(h, ann.accessToken).updateProfile({
    profile: { displayName: 'Ann Again' },
    updateMask: { paths: ['display_name'] },
  });
  const fresh = (await read()).profile!;
  assert.equal(fresh.displayName, 'Ann Again');
  assert.equal(fresh.bio, 'written behind its back');
});

test('UpdateProfile needs a signed-in caller', async () => {
  const err = await rejectionOf(
    users(h).updateProfile({ profile: { bio: 'x' }, updateMask: { paths: ['bio'] } }),
  );
  assert.equal(err.code, Code.Unauthenticated);
});
