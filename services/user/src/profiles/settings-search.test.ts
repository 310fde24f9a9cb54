import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { UserInternalService } from '@kith/gen/kith/user/v1/internal_pb.js';
import { DefaultAudience, MentionPolicy } from '@kith/gen/kith/user/v1/types_pb.js';
import { internalClient } from '@kith/runtime';
import {
  codeOf,
  rejectionOf,
  violatedFields,
  seedUser,
  startAuthHarness,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import {
  eventually,
  profileEventsOf,
  publishAs,
  settingsEventsOf,
  withProfile,
  uniqueName,
  userContext,
  userDb,
  users,
} from './testing/support.js';

import { userModule } from '../module.js';

let h: AuthHarness;
/** A signed-in user with a profile and settings. */
const newUser = async (o: { username?: string } = {}) =>
  withProfile(h, await seedUser(h, o.username ? { username: o.username } : {}));
beforeAll(async () => {
  h = await startAuthHarness({ modules: [userModule] });
});
afterAll(async () => {
  await h?.stop();
});

test('sign-up creates the profile, the default settings and the contact, publishing version 1 of each', async () => {
  const ann = await h.signUp();
  await eventually(
    async () =>
      (await userDb(h)
        .selectFrom('settings')
        .select('user_id')
        .where('user_id', '=', ann.userId)
        .executeTakeFirst()) !== undefined,
    'the settings row',
  );
  const { settings, pendingDeletion } = await users(h, ann.accessToken).getSettings({});
  assert.equal(pendingDeletion, undefined);
  assert.equal(settings!.discoverable, true);
  assert.equal(settings!.defaultAudience, DefaultAudience.PUBLIC);
  assert.equal(settings!.mentionPolicy, MentionPolicy.EVERYONE);
  assert.equal(settings!.indexable, false);
  assert.equal(settings!.showSensitiveMedia, false);
  assert.deepEqual(settings!.contentLanguages, []);
  assert.equal(settings!.timeZone, '');
  assert.equal(settings!.version, 1n);
  const profileEvents = await profileEventsOf(h, ann.userId);
  assert.deepEqual(
    profileEvents.map((e) => [e.version, e.username, e.displayName]),
    [[1n, ann.username, ann.username]],
  );
  const settingsEvents = await settingsEventsOf(h, ann.userId);
  assert.deepEqual(
    settingsEvents.map((e) => [e.version, e.discoverable, e.mentionPolicy]),
    [[1n, true, MentionPolicy.EVERYONE]],
  );
  const contact = await userDb(h)
    .selectFrom('contacts')
    .select('email')
    .where('user_id', '=', ann.userId)
    .executeTakeFirstOrThrow();
  assert.equal(contact.email, ann.email);
  // Stands in for auth's ChangeEmail confirmation: the contact follows the new address.
  await publishAs(h, 'auth', {
    case: 'authEmailChanged',
    value: { userId: ann.userId, email: 'new-address@kith.test' },
  });
  await eventually(
    async () =>
      (
        await userDb(h)
          .selectFrom('contacts')
          .select('email')
          .where('user_id', '=', ann.userId)
          .executeTakeFirstOrThrow()
      ).email === 'new-address@kith.test',
    'the new address',
  );
});

test('UpdateSettings writes the mask, bumps the version, and publishes only enforced settings', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  const first = await client.updateSettings({
    settings: { mentionPolicy: MentionPolicy.FOLLOWING, indexable: true, locale: 'de' },
    updateMask: { paths: ['mention_policy'] },
  });
  assert.equal(first.settings!.mentionPolicy, MentionPolicy.FOLLOWING);
  assert.equal(first.settings!.indexable, false);
  assert.equal(first.settings!.locale, 'en');
  assert.equal(first.settings!.version, 2n);
  const second = await client.updateSettings({
    settings: { timeZone: 'Europe/Berlin', showSensitiveMedia: true },
    updateMask: { paths: ['time_zone', 'show_sensitive_media'] },
  });
  assert.equal(second.settings!.timeZone, 'Europe/Berlin');
  assert.equal(second.settings!.version, 3n);
  // Nothing another service enforces changed the second time: one event, version 2.
  const events = await settingsEventsOf(h, ann.userId);
  assert.deepEqual(
    events.map((e) => [e.version, e.mentionPolicy]),
    [[2n, MentionPolicy.FOLLOWING]],
  );
  const { settings } = await client.getSettings({});
  assert.equal(settings!.version, 3n);
  assert.equal(settings!.showSensitiveMedia, true);
});

test('UpdateSettings refuses an UNSPECIFIED enum in the mask and changes nothing', async () => {
  const ann = await newUser();
  const client = users(h, ann.accessToken);
  for (const path of ['default_audience', 'mention_policy']) {
    const err = await rejectionOf(
      client.updateSettings({ settings: {}, updateMask: { paths: [path] } }),
    );
    assert.equal(err.code, Code.InvalidArgument, path);
  }
  const badZone = await rejectionOf(
    client.updateSettings({
      settings: { timeZone: 'no spaces allowed' },
      updateMask: { paths: ['time_zone'] },
    }),
  );
  assert.deepEqual(violatedFields(badZone), ['settings.time_zone']);
  const { settings } = await client.getSettings({});
  assert.equal(settings!.version, 1n);
  assert.equal(await codeOf(users(h).getSettings({})), Code.Unauthenticated);
});

async function named(username: string, displayName: string): Promise<TestUser> {
  const user = await newUser({ username });
  await users(h, user.accessToken).updateProfile({
    profile: { displayName },
    updateMask: { paths: ['display_name'] },
  });
  return user;
}

const search = (
  viewer: TestUser,
  query: string,
  more: { followingOnly?: boolean; pageSize?: number; pageToken?: string } = {},
) => users(h, viewer.accessToken).searchUsers({ query, ...more });
const ids = (res: { users: { userId: string }[] }) => res.users.map((u) => u.userId);

test('search finds username and display-name prefixes, and names with a typo', async () => {
  const tag = uniqueName('s');
  const alice = await named(`${tag}alice`, 'Alice Bartholomew');
  const bob = await named(`${tag}bob`, 'Robert Smith');
  const viewer = await newUser();
  // Ranked: the username prefix first (a shared start of another name is a weaker match).
  assert.equal(ids(await search(viewer, `${tag}ali`))[0], alice.userId);
  assert.equal(ids(await search(viewer, `${tag.toUpperCase()}BO`))[0], bob.userId);
  // A display name's later word, by prefix.
  assert.ok(ids(await search(viewer, 'bartho')).includes(alice.userId));
  // A typo in the display name.
  assert.ok(ids(await search(viewer, 'bartholomeu')).includes(alice.userId));
  assert.ok(!ids(await search(viewer, 'bartholomeu')).includes(bob.userId));
  // A leading "@" searches usernames only.
  assert.ok(!ids(await search(viewer, '@bartho')).includes(alice.userId));
  assert.equal(ids(await search(viewer, `@${tag}ali`))[0], alice.userId);
  const hit = (await search(viewer, `${tag}ali`)).users[0]!;
  assert.equal(hit.username, `${tag}alice`);
  assert.equal(hit.displayName, 'Alice Bartholomew');
  // LIKE wildcards are plain text: "%" alone matches nobody.
  assert.deepEqual(ids(await search(viewer, '%')), []);
  assert.deepEqual(ids(await search(viewer, '_')), []);
});

test('search leaves out the undiscoverable, the hidden and users blocked either way', async () => {
  const tag = uniqueName('h');
  const [shy, blocker, blocked, pending, plain] = await Promise.all(
    ['shy', 'blocker', 'blocked', 'pending', 'plain'].map((n) =>
      newUser({ username: `${tag}${n}` }),
    ),
  );
  const viewer = await newUser();
  assert.equal(ids(await search(viewer, tag)).length, 5);
  await users(h, shy!.accessToken).updateSettings({
    settings: { discoverable: false },
    updateMask: { paths: ['discoverable'] },
  });
  await userDb(h)
    .insertInto('blocks')
    .values([
      { blocker_id: blocker!.userId, blocked_id: viewer.userId },
      { blocker_id: viewer.userId, blocked_id: blocked!.userId },
    ])
    .execute();
  await userDb(h)
    .updateTable('profiles')
    .set({ deletion_scheduled_for: new Date(h.clock.now().getTime() + 86_400_000) })
    .where('user_id', '=', pending!.userId)
    .execute();
  assert.deepEqual(ids(await search(viewer, tag)), [plain!.userId]);
});

test('search with following_only returns only users the caller follows', async () => {
  const tag = uniqueName('f');
  const [followed, other] = [
    await newUser({ username: `${tag}one` }),
    await newUser({ username: `${tag}two` }),
  ];
  const viewer = await newUser();
  await userDb(h)
    .insertInto('follows')
    .values({ follower_id: viewer.userId, followee_id: followed.userId })
    .execute();
  assert.deepEqual(ids(await search(viewer, tag, { followingOnly: true })), [followed.userId]);
  assert.equal(ids(await search(viewer, tag)).length, 2);
  assert.ok(ids(await search(viewer, tag)).includes(other.userId));
});

test('search pages with signed tokens bound to the query and caller', async () => {
  const tag = uniqueName('p');
  const made = await Promise.all(['a', 'b', 'c'].map((n) => newUser({ username: `${tag}${n}` })));
  const viewer = await newUser();
  const first = await search(viewer, tag, { pageSize: 2 });
  assert.equal(first.users.length, 2);
  assert.notEqual(first.nextPageToken, '');
  const second = await search(viewer, tag, { pageSize: 2, pageToken: first.nextPageToken });
  assert.equal(second.users.length, 1);
  assert.equal(second.nextPageToken, '');
  assert.deepEqual([...ids(first), ...ids(second)].sort(), made.map((u) => u.userId).sort());
  const replayed = await rejectionOf(
    search(viewer, `${tag}a`, { pageSize: 2, pageToken: first.nextPageToken }),
  );
  assert.equal(replayed.code, Code.InvalidArgument);
  const otherCaller = await rejectionOf(
    search(made[0]!, tag, { pageSize: 2, pageToken: first.nextPageToken }),
  );
  assert.equal(otherCaller.code, Code.InvalidArgument);
  assert.equal(await codeOf(search(viewer, tag, { pageSize: 101 })), Code.InvalidArgument);
  assert.equal(await codeOf(search(viewer, '  @ ')), Code.InvalidArgument);
  assert.equal(await codeOf(users(h).searchUsers({ query: tag })), Code.Unauthenticated);
});

test('moderation gets a report snapshot of a profile, blocks notwithstanding', async () => {
  const ann = await newUser();
  const reporter = await newUser();
  await users(h, ann.accessToken).updateProfile({
    profile: { bio: 'reported bio', links: [{ label: 'x', url: 'https://x.example' }] },
    updateMask: { paths: ['bio', 'links'] },
  });
  await userDb(h)
    .insertInto('blocks')
    .values({ blocker_id: ann.userId, blocked_id: reporter.userId })
    .execute();
  // Stands in for the moderation service, the caller of UserInternalService.
  const client = internalClient(userContext(h).bus, UserInternalService);
  const { profile } = await client.getReportSnapshot({
    reporterId: reporter.userId,
    id: ann.userId,
  });
  assert.equal(profile!.userId, ann.userId);
  assert.equal(profile!.bio, 'reported bio');
  assert.equal(profile!.links[0]!.url, 'https://x.example');
  assert.equal(profile!.profileVersion, 2n);
  assert.ok(profile!.capturedAt);
  const missing = await rejectionOf(
    client.getReportSnapshot({
      reporterId: reporter.userId,
      id: '0190f2f6-6f3c-7cc0-8b5c-7a00000000fd',
    }),
  );
  assert.equal(missing.code, Code.NotFound);
});
