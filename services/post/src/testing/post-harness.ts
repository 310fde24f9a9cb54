// The post service's test world: auth and post in one embedded process, people whose profiles
// post's projection knows (seeded as user.profile_updated would leave them), follows, blocks,
// mutes and circle memberships seeded straight into the projections (their consumers have
// tests of their own; a seeded follow or membership drops the cached home list as theirs do), a stand-in for moderation's content check, and reads of what the calls
// left behind.
import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import type { OutboxTables, Subscription } from '@kith/bus';
import { withTables } from '@kith/db';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import type { CheckContentRequest } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { decodeEvent, defineService, recordEvent, serveInternal } from '@kith/runtime';
import type { EventPayload, ServiceModule } from '@kith/runtime';
import type { AuthHost, SeededAccount } from '@kith/testkit';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { createPostParts, postModule } from '../module.js';
import { homeKey } from '../timelines/home-cache.js';

export type { AuthHost, SeededAccount };

export interface Person extends SeededAccount {
  posts: Client<typeof PostService>;
}

export interface PostHarness<H extends AuthHost = AuthHost> {
  h: H;
  app: PostApp;
  /** A signed-in user whose profile post knows. */
  person(options?: { indexable?: boolean }): Promise<Person>;
  /** Anonymous calls. */
  anonymous: Client<typeof PostService>;
  /** `follower` follows `followee` in post's projection. */
  follow(follower: { userId: string }, followee: { userId: string }): Promise<void>;
  unfollow(follower: { userId: string }, followee: { userId: string }): Promise<void>;
  block(blocker: { userId: string }, blocked: { userId: string }): Promise<void>;
  mute(muter: { userId: string }, muted: { userId: string }, expiresAt?: Date): Promise<void>;
  /** A new circle with these members (role 1 OWNER for the first, 3 MEMBER for the rest). */
  circle(...members: { userId: string }[]): Promise<string>;
  /** Ends `person`'s membership of the circle. */
  leave(circleId: string, person: { userId: string }): Promise<void>;
  /** Publishes an event as another service would, through post's own outbox. */
  publishAs(source: string, payload: EventPayload): Promise<void>;
  /** Every event the post service recorded, oldest first. */
  events(): Promise<Envelope['payload'][]>;
  /** Every row of the post tables and the outbox size: equal before and after a refusal. */
  snapshot(): Promise<unknown>;
  /** What the moderation stand-in was asked; it rejects any field containing "forbidden". */
  checks: CheckContentRequest[];
  stop(): Promise<void>;
}

export async function startPostHarness<H extends AuthHost>(
  auth: {
    start(options: { modules: ServiceModule[]; env?: Record<string, string> }): Promise<H>;
    seed(h: H): Promise<SeededAccount>;
    /** A transport without credentials. */
    anonymous(h: H): Transport;
  },
  /**
   * `env`: the process's settings beside the harness's own (e.g. S3 media storage).
   * `realModeration`: the process runs the moderation service, whose CheckContent answers
   * instead of the harness's stand-in.
   */
  options: { env?: Record<string, string>; realModeration?: boolean } = {},
): Promise<PostHarness<H>> {
  let app: PostApp | undefined;
  const module = defineService<PostDatabase>({
    ...postModule,
    create(ctx) {
      const parts = createPostParts(ctx);
      app = parts.app;
      return parts;
    },
  });
  const h = await auth.start({ modules: [module], env: options.env });
  if (!app) throw new Error('post app was not built');
  const built = app;
  const db = built.database.db;
  const anonymous = createClient(PostService, auth.anonymous(h));

  const checks: CheckContentRequest[] = [];
  const standIns: Subscription[] = options.realModeration
    ? []
    : await serveInternal(
        built.ctx.bus,
        ModerationInternalService,
        {
          async checkContent(request) {
            checks.push(request);
            const rejected = request.fields.filter((f) => f.text.includes('forbidden'));
            return {
              rejected: rejected.length > 0,
              rejectedFields: rejected.map((f) => f.field),
              category: rejected.length > 0 ? ReportCategory.SPAM : ReportCategory.UNSPECIFIED,
            };
          },
        },
        built.logger,
      );

  const outboxRows = () =>
    withTables<OutboxTables>(db)
      .selectFrom('outbox')
      .select(['id', 'data'])
      .orderBy('id')
      .execute();
  let circles = 0;

  return {
    h,
    app: built,
    anonymous,
    checks,
    async person(options = {}) {
      const account = await auth.seed(h);
      await db
        .insertInto('users')
        .values({
          user_id: account.userId,
          username: account.username,
          display_name: account.username,
          avatar_url: '',
          locked: false,
          indexable: options.indexable ?? false,
          profile_version: '1',
        })
        .execute();
      return { ...account, posts: createClient(PostService, h.as(account.accessToken).transport) };
    },
    async follow(follower, followee) {
      await db
        .insertInto('follows')
        .values({ follower_id: follower.userId, followee_id: followee.userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await built.ctx.lists.del(homeKey(follower.userId));
    },
    async unfollow(follower, followee) {
      await db
        .deleteFrom('follows')
        .where('follower_id', '=', follower.userId)
        .where('followee_id', '=', followee.userId)
        .execute();
      await built.ctx.lists.del(homeKey(follower.userId));
    },
    async block(blocker, blocked) {
      await db
        .insertInto('blocks')
        .values({ blocker_id: blocker.userId, blocked_id: blocked.userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async mute(muter, muted, expiresAt) {
      await db
        .insertInto('mutes')
        .values({ muter_id: muter.userId, muted_id: muted.userId, expires_at: expiresAt ?? null })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async circle(...members) {
      circles += 1;
      const circleId = `00000000-0000-7000-8000-${circles.toString(16).padStart(12, '0')}`;
      await db
        .insertInto('circles')
        .values({ circle_id: circleId, deleted: false, version: '1' })
        .execute();
      await db
        .insertInto('circle_members')
        .values(
          members.map((m, i) => ({
            circle_id: circleId,
            user_id: m.userId,
            role: i === 0 ? 1 : 3,
            version: '1',
          })),
        )
        .execute();
      for (const m of members) await built.ctx.lists.del(homeKey(m.userId));
      return circleId;
    },
    async leave(circleId, person) {
      await db
        .updateTable('circle_members')
        .set({ role: 0 })
        .where('circle_id', '=', circleId)
        .where('user_id', '=', person.userId)
        .execute();
      await built.ctx.lists.del(homeKey(person.userId));
    },
    async publishAs(source, payload) {
      await built.database.transaction(async (trx) => {
        await recordEvent(trx, { source, actor: { service: source }, payload });
      });
    },
    async events() {
      return (await outboxRows()).map((r) => decodeEvent(r.data).payload);
    },
    async snapshot() {
      const [posts, revisions, likes, bookmarks, reposts, outbox] = await Promise.all([
        db.selectFrom('posts').selectAll().orderBy('id').execute(),
        db
          .selectFrom('post_revisions')
          .selectAll()
          .orderBy('post_id')
          .orderBy('revision')
          .execute(),
        db.selectFrom('likes').selectAll().orderBy('post_id').orderBy('user_id').execute(),
        db.selectFrom('bookmarks').selectAll().orderBy('user_id').orderBy('post_id').execute(),
        db.selectFrom('reposts').selectAll().orderBy('id').execute(),
        outboxRows().then((rows) => rows.map((r) => r.id)),
      ]);
      return { posts, revisions, likes, bookmarks, reposts, outbox };
    },
    async stop() {
      await Promise.all(standIns.map((s) => s.stop()));
      await h.stop();
    },
  };
}
