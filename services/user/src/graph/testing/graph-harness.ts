// The graph's test world: the auth and user services in one embedded process, with users that
// have a profile (seeded straight into the user schema, as the auth.user_registered consumer
// would), clients per user, and reads of what the calls left behind.
import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { decodeEvent, defineService } from '@kith/runtime';
import type { ServiceModule } from '@kith/runtime';
import type { AuthHost, SeededAccount } from '@kith/testkit';
import type { UserApp } from '../../app.js';
import type { UserDatabase } from '../../db/schema.js';
import { createUserParts, userModule } from '../../module.js';
import { insertProfile } from '../../profiles/profile-store.js';
import type { ProfilesDb } from '../../profiles/profile-store.js';
import { graphDb } from '../graph-db.js';

export type { AuthHost, SeededAccount };

export interface Member extends SeededAccount {
  user: Client<typeof UserService>;
}

export interface GraphHarness<H extends AuthHost = AuthHost> {
  h: H;
  app: UserApp;
  /** A signed-in user with a profile; `locked` / `hideFollowLists` set its flags. */
  member(options?: { locked?: boolean; hideFollowLists?: boolean }): Promise<Member>;
  /** Every graph event the user service recorded, oldest first (notifications left out). */
  events(): Promise<Envelope['payload'][]>;
  /** The same, as whole envelopes (actor, type…). */
  envelopes(): Promise<Envelope[]>;
  /** Every row of the graph's tables and the outbox size: equal before and after a refusal. */
  snapshot(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Only a test file may import another service's harness, so the test hands in auth's
 * `startAuthHarness` and `seedUser`: `startGraphHarness({ start: startAuthHarness, seed: seedUser })`.
 */
export async function startGraphHarness<H extends AuthHost>(auth: {
  start(options: { modules: ServiceModule[] }): Promise<H>;
  seed(h: H): Promise<SeededAccount>;
}): Promise<GraphHarness<H>> {
  let app: UserApp | undefined;
  const module = defineService<UserDatabase>({
    ...userModule,
    create(ctx) {
      const parts = createUserParts(ctx);
      app = parts.app;
      return parts;
    },
  });
  const h = await auth.start({ modules: [module] });
  if (!app) throw new Error('user app was not built');
  const built = app;
  const db = graphDb(built.database.db);
  // The graph's own events: the notifications the consumers derive from them arrive on their
  // own time, and are the notifications area's to test.
  const graphEvents = async () => {
    const outbox = withTables<OutboxTables>(built.database.db);
    const rows = await outbox.selectFrom('outbox').select(['id', 'data']).orderBy('id').execute();
    return rows
      .map((r) => ({ id: r.id, envelope: decodeEvent(r.data) }))
      .filter(({ envelope }) => envelope.payload.case !== 'userNotificationCreated');
  };
  const envelopes = async () => (await graphEvents()).map(({ envelope }) => envelope);
  return {
    h,
    app: built,
    async member(options = {}) {
      const account = await auth.seed(h);
      await insertProfile(withTables<ProfilesDb>(built.database.db), {
        userId: account.userId,
        username: account.username,
        locale: 'en',
      });
      await db
        .updateTable('profiles')
        .set({
          locked: options.locked ?? false,
          hide_follow_lists: options.hideFollowLists ?? false,
        })
        .where('user_id', '=', account.userId)
        .execute();
      return { ...account, user: createClient(UserService, h.as(account.accessToken).transport) };
    },
    events: async () => (await envelopes()).map((envelope) => envelope.payload),
    envelopes,
    async snapshot() {
      const [follows, requests, counts, blocks, mutes, versions, events] = await Promise.all([
        db
          .selectFrom('follows')
          .selectAll()
          .orderBy('follower_id')
          .orderBy('followee_id')
          .execute(),
        db
          .selectFrom('follow_requests')
          .selectAll()
          .orderBy('requester_id')
          .orderBy('target_id')
          .execute(),
        db.selectFrom('follow_counts').selectAll().orderBy('user_id').execute(),
        db.selectFrom('blocks').selectAll().orderBy('blocker_id').orderBy('blocked_id').execute(),
        db.selectFrom('mutes').selectAll().orderBy('muter_id').orderBy('muted_id').execute(),
        db
          .selectFrom('edge_versions')
          .selectAll()
          .orderBy('kind')
          .orderBy('from_id')
          .orderBy('to_id')
          .execute(),
        graphEvents().then((rows) => rows.map(({ id }) => id)),
      ]);
      return { follows, requests, counts, blocks, mutes, versions, events };
    },
    stop: () => h.stop(),
  };
}
