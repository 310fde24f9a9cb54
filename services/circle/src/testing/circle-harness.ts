// The circle service's test world: auth and circle in one embedded process, people with a
// profile in circle's projection (seeded as user.profile_updated would leave it), circles made
// through the API and memberships seeded straight into the schema (invites are not built yet),
// stand-ins for moderation's content check and for post's media holds and GetCirclePosts (posts
// the test makes up), and reads of what the calls left behind.
import { randomUUID } from 'node:crypto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { OutboxTables, Subscription } from '@kith/bus';
import { withTables } from '@kith/db';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import type { CreateCircleRequestSchema } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { CircleRole, JoinRule, JoinVia } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import type { CheckContentRequest } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type {
  AttachMediaRequest,
  DetachMediaRequest,
  GetCirclePostsRequest,
} from '@kith/gen/kith/post/v1/internal_pb.js';
import { decodeEvent, defineService, recordEvent, serveInternal } from '@kith/runtime';
import type { EventPayload, ServiceModule } from '@kith/runtime';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AuthHost, SeededAccount } from '@kith/testkit';
import type { CircleApp } from '../app.js';
import type { CircleDatabase } from '../db/schema.js';
import { addMember, setRole } from '../members/member-store.js';
import { circleModule, createCircleParts } from '../module.js';

export type { AuthHost, SeededAccount };

export interface Person extends SeededAccount {
  circles: Client<typeof CircleService>;
}

/** A post the post stand-in knows: its author and the circles its audience names. */
export interface StandInPost {
  authorId: string;
  circleIds: string[];
  /** Set for a reply: the thread's first post. */
  rootPostId?: string;
}

export interface CircleHarness<H extends AuthHost = AuthHost> {
  h: H;
  app: CircleApp;
  /** A signed-in user whose profile circle knows. */
  person(): Promise<Person>;
  /** `person` signed in again (a new session): for tests that move the clock past a token. */
  session(person: Person): Promise<Person>;
  /** A circle `owner` creates through the API; its id. */
  circle(
    owner: Person,
    request?: Omit<
      MessageInitShape<typeof CreateCircleRequestSchema>,
      '$typeName' | 'name' | 'joinRule'
    > & {
      name?: string;
      joinRule?: JoinRule;
    },
  ): Promise<string>;
  /** Puts `person` in the circle with `role`, as an accepted invite would. */
  join(circleId: string, person: { userId: string }, role?: CircleRole): Promise<void>;
  /**
   * Publishes an event as another service would, through circle's own outbox (its relay
   * publishes it on `kith.events.<type>` as the real publisher's would).
   */
  publishAs(source: string, payload: EventPayload): Promise<void>;
  /** Every event the circle service recorded, oldest first. */
  events(): Promise<Envelope['payload'][]>;
  /** Every row of the circle tables and the outbox size: equal before and after a refusal. */
  snapshot(): Promise<unknown>;
  /** What the moderation stand-in was asked; it rejects any field containing "forbidden". */
  checks: CheckContentRequest[];
  /** The post stand-in: media ids it knows, by owner; the holds taken and released. */
  media: {
    owners: Map<string, string>;
    attached: AttachMediaRequest[];
    detached: DetachMediaRequest[];
  };
  /**
   * The post stand-in's posts, by id: GetCirclePosts answers the asked ones whose circleIds
   * include the circle, in request order. `asked` records every request; with `failWith` set,
   * GetCirclePosts fails with that code instead (post down or failing).
   */
  posts: {
    byId: Map<string, StandInPost>;
    asked: GetCirclePostsRequest[];
    failWith: Code | undefined;
  };
  /** A post by `author` addressed to `circleIds`, known to the post stand-in; its id. */
  post(author: { userId: string }, circleIds: string[], options?: { rootPostId?: string }): string;
  stop(): Promise<void>;
}

export async function startCircleHarness<H extends AuthHost>(auth: {
  start(options: { modules: ServiceModule[] }): Promise<H>;
  seed(h: H): Promise<SeededAccount>;
  signIn(h: H, account: { userId: string }): Promise<{ accessToken: string }>;
}): Promise<CircleHarness<H>> {
  let app: CircleApp | undefined;
  const module = defineService<CircleDatabase>({
    ...circleModule,
    create(ctx) {
      const parts = createCircleParts(ctx);
      app = parts.app;
      return parts;
    },
  });
  const h = await auth.start({ modules: [module] });
  if (!app) throw new Error('circle app was not built');
  const built = app;
  const db = built.database.db;

  const checks: CheckContentRequest[] = [];
  const media = {
    owners: new Map<string, string>(),
    attached: [] as AttachMediaRequest[],
    detached: [] as DetachMediaRequest[],
  };
  const posts = {
    byId: new Map<string, StandInPost>(),
    asked: [] as GetCirclePostsRequest[],
    failWith: undefined as Code | undefined,
  };
  const standIns: Subscription[] = [
    ...(await serveInternal(
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
    )),
    ...(await serveInternal(
      built.ctx.bus,
      PostInternalService,
      {
        async attachMedia(request) {
          if (media.owners.get(request.mediaId) !== request.ownerUserId) {
            throw new ConnectError('media not found', Code.NotFound);
          }
          media.attached.push(request);
          return {
            media: {
              mediaId: request.mediaId,
              url: `https://cdn.kith.test/${request.mediaId}.webp`,
            },
          };
        },
        async detachMedia(request) {
          media.detached.push(request);
          return {};
        },
        async getCirclePosts(request) {
          posts.asked.push(request);
          if (posts.failWith !== undefined) {
            throw new ConnectError('post stand-in failing', posts.failWith);
          }
          return {
            posts: request.postIds.flatMap((postId) => {
              const post = posts.byId.get(postId);
              if (!post?.circleIds.includes(request.circleId)) return [];
              return [{ postId, authorId: post.authorId, rootPostId: post.rootPostId ?? '' }];
            }),
          };
        },
      },
      built.logger,
    )),
  ];

  const outboxRows = () =>
    withTables<OutboxTables>(db)
      .selectFrom('outbox')
      .select(['id', 'data'])
      .orderBy('id')
      .execute();

  return {
    h,
    app: built,
    checks,
    media,
    posts,
    post(author, circleIds, options = {}) {
      const postId = randomUUID();
      posts.byId.set(postId, { authorId: author.userId, circleIds, ...options });
      return postId;
    },
    async person() {
      const account = await auth.seed(h);
      await db
        .insertInto('users')
        .values({
          user_id: account.userId,
          username: account.username,
          display_name: account.username,
          avatar_url: '',
          locked: false,
          version: '1',
        })
        .execute();
      return {
        ...account,
        circles: createClient(CircleService, h.as(account.accessToken).transport),
      };
    },
    async session(person) {
      const { accessToken } = await auth.signIn(h, person);
      return {
        ...person,
        accessToken,
        circles: createClient(CircleService, h.as(accessToken).transport),
      };
    },
    async circle(owner, request = {}) {
      const { circle } = await owner.circles.createCircle({
        name: 'Climbing crew',
        joinRule: JoinRule.INVITE_ONLY,
        ...request,
      });
      return circle!.circleId;
    },
    async join(circleId, person, role = CircleRole.MEMBER) {
      await built.database.transaction(async (trx) => {
        await addMember(trx, {
          circle_id: circleId,
          user_id: person.userId,
          role: CircleRole.MEMBER,
          joined_via: JoinVia.INVITE,
          joined_at: h.clock.now(),
        });
        if (role !== CircleRole.MEMBER) await setRole(trx, circleId, person.userId, role);
      });
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
      const [circles, members, versions, audit, hidden, hideVersions, outbox] = await Promise.all([
        db.selectFrom('circles').selectAll().orderBy('id').execute(),
        db.selectFrom('members').selectAll().orderBy('circle_id').orderBy('user_id').execute(),
        db
          .selectFrom('membership_versions')
          .selectAll()
          .orderBy('circle_id')
          .orderBy('user_id')
          .execute(),
        db.selectFrom('audit_log').selectAll().orderBy('id').execute(),
        db.selectFrom('hidden_posts').selectAll().orderBy('circle_id').orderBy('post_id').execute(),
        db
          .selectFrom('post_hide_versions')
          .selectAll()
          .orderBy('circle_id')
          .orderBy('post_id')
          .execute(),
        outboxRows().then((rows) => rows.map((r) => r.id)),
      ]);
      return { circles, members, versions, audit, hidden, hideVersions, outbox };
    },
    async stop() {
      await Promise.all(standIns.map((s) => s.stop()));
      await h.stop();
    },
  };
}
