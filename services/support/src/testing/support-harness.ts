// The support service's test world: auth and support in one embedded process (its timers
// stopped: tests run them), people whose
// profiles support's projection knows, circles with memberships and safety roles seeded
// straight into the projection (its consumer has tests of its own), stand-ins for circle's
// memberships, moderation's content check and post's media holds, and reads of what the calls
// left behind.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { OutboxTables, Subscription } from '@kith/bus';
import { withTables } from '@kith/db';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  decodeEvent,
  defineService,
  internalClient,
  recordEvent,
  serveInternal,
} from '@kith/runtime';
import type { EventPayload, InternalClient, ServiceModule } from '@kith/runtime';
import type { AuthHost, SeededAccount } from '@kith/testkit';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { createSupportParts, supportModule } from '../module.js';

export interface Person extends SeededAccount {
  support: Client<typeof SupportService>;
}

/**
 * What the harness needs from auth's test harness, which a test file hands in (services do not
 * import each other; a test may): start it with support's module, seed an account, and start a
 * new session for one (a fresh access token with a recent sign-in).
 */
export interface AuthDeps {
  start(options: { modules: ServiceModule[] }): Promise<AuthHost>;
  seed(h: AuthHost): Promise<SeededAccount>;
  signIn(h: AuthHost, account: { userId: string }): Promise<string>;
}

export interface SupportHarness {
  h: AuthHost;
  app: SupportApp;
  /** A signed-in user whose profile support knows. */
  person(): Promise<Person>;
  /**
   * Moves the clock on, and signs everyone in again (a new session each) so their access tokens
   * are fresh and their sign-in recent.
   */
  advance(ms: number): Promise<void>;
  /**
   * A circle with these members; `primary` and `responders` get those safety roles. Returns its
   * id.
   */
  circle(
    members: { userId: string }[],
    roles?: { primary?: { userId: string }[]; responders?: { userId: string }[] },
  ): Promise<string>;
  /** SupportInternalService as the gateway and user service call it. */
  internal: InternalClient<typeof SupportInternalService>;
  /** Publishes an event as another service would, through support's own outbox. */
  publishAs(source: string, payload: EventPayload): Promise<void>;
  /** Every event support recorded, oldest first. */
  events(): Promise<Envelope['payload'][]>;
  stop(): Promise<void>;
}

let circles = 0;

export async function startSupportHarness(
  auth: AuthDeps,
  options: { modules?: ServiceModule[] } = {},
): Promise<SupportHarness> {
  let app: SupportApp | undefined;
  const module = defineService<SupportDatabase>({
    ...supportModule,
    create(ctx) {
      const parts = createSupportParts(ctx);
      app = parts.app;
      // The clock is the test's: timers run when the test runs them (runLadders, …), so a
      // step never fires between two of its calls by surprise.
      const timers = new Set([
        'support-ladder',
        'support-share-expiry',
        'support-retention',
        'support-export-sweep',
        'support-check-ins',
      ]);
      return { ...parts, daemons: (parts.daemons ?? []).filter((d) => !timers.has(d.name)) };
    },
  });
  const h = await auth.start({ modules: [module, ...(options.modules ?? [])] });
  if (!app) throw new Error('support app was not built');
  const built = app;
  const db = built.database.db;
  const standIns: Subscription[] = [
    ...(await serveInternal(
      built.ctx.bus,
      ModerationInternalService,
      {
        async checkContent(request) {
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
    // Circle knows no more than support's projection: the harness seeds that directly.
    ...(await serveInternal(
      built.ctx.bus,
      CircleInternalService,
      {
        getMemberships: async () => ({ memberships: [], nextPageToken: '' }),
      },
      built.logger,
    )),
    // Post holds media whose id ends in 1 (the caller's ready image), and refuses the rest.
    ...(await serveInternal(
      built.ctx.bus,
      PostInternalService,
      {
        async attachMedia(request) {
          if (!request.mediaId.endsWith('1'))
            throw new ConnectError('no such media', Code.NotFound);
          return { media: { mediaId: request.mediaId } };
        },
      },
      built.logger,
    )),
  ];
  const people: Person[] = [];
  const internal = internalClient(built.ctx.bus, SupportInternalService, { timeoutMs: 5000 });

  return {
    h,
    app: built,
    internal,
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
      const person = {
        ...account,
        support: createClient(SupportService, h.as(account.accessToken).transport),
      };
      people.push(person);
      return person;
    },
    async advance(ms) {
      h.clock.advance(ms);
      for (const person of people) {
        const accessToken = await auth.signIn(h, person);
        person.accessToken = accessToken;
        person.support = createClient(SupportService, h.as(accessToken).transport);
      }
    },
    async circle(members, roles = {}) {
      circles += 1;
      const circleId = `00000000-0000-7000-8000-${(Date.now() % 1e6).toString(16).padStart(6, '0')}${circles.toString(16).padStart(6, '0')}`;
      const has = (list: { userId: string }[] | undefined, id: string) =>
        (list ?? []).some((m) => m.userId === id);
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
            responder: has(roles.responders, m.userId),
            primary_contact: has(roles.primary, m.userId),
            role_version: '1',
            safety_version: '1',
          })),
        )
        .execute();
      return circleId;
    },
    async publishAs(source, payload) {
      await built.database.transaction(async (trx) => {
        await recordEvent(trx, { source, actor: { service: source }, payload });
      });
    },
    async events() {
      const rows = await withTables<OutboxTables>(db)
        .selectFrom('outbox')
        .select(['id', 'data'])
        .orderBy('id')
        .execute();
      return rows.map((r) => decodeEvent(r.data).payload);
    },
    async stop() {
      await Promise.all(standIns.map((s) => s.stop()));
      await h.stop();
    },
  };
}

/** AuthDeps from auth's test harness functions, as a test file imports them. */
export function authDeps<H extends AuthHost>(
  start: (options: { modules: ServiceModule[] }) => Promise<H>,
  seed: (h: H) => Promise<SeededAccount>,
  session: (h: H, account: { userId: string }) => Promise<{ accessToken: string }>,
): AuthDeps {
  return {
    start,
    seed: (h) => seed(h as H),
    signIn: async (h, account) => (await session(h as H, account)).accessToken,
  };
}
