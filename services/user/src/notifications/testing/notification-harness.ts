import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { defineService, recordEvent } from '@kith/runtime';
import type { EventPayload, ServiceModule } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import type { Selectable } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { UserApp } from '../../app.js';
import type { UserDatabase } from '../../db/schema.js';
import { createUserParts, userModule } from '../../module.js';
import type { PushJobTable } from '../../push/push-job-store.js';
import type { NotificationTable } from '../notification-store.js';

/**
 * What this harness needs of auth's test harness (services/auth/src/testing), which only a test
 * file may import: the test starts it with `modules: [harnessedUserModule().module]` and passes
 * it in with its `seedUser`.
 */
export interface AuthHarnessLike {
  clock: { now(): Date; advance(ms: number): void };
  as(token: string): { transport: Transport };
  stop(): Promise<void>;
}
export interface TestUser {
  userId: string;
  username: string;
  email: string;
  accessToken: string;
}

export type Domain = 'user' | 'post' | 'circle' | 'support' | 'moderation' | 'auth';

export interface Member extends TestUser {
  notifications: Client<typeof NotificationService>;
}

export interface NotificationHarness {
  h: AuthHarnessLike;
  app: UserApp;
  /** Records an event in the user schema's outbox, as if `domain`'s service had published it. */
  publish(domain: Domain, payload: EventPayload): Promise<void>;
  /**
   * Waits until every event published so far on `domain` was consumed: a marker event that
   * notifies a throwaway recipient goes last, and the domain's one consumer takes them in order.
   */
  settle(domain: Domain): Promise<void>;
  /** A signed-in user with a profile here (from auth.user_registered), its account `days` old. */
  member(options?: { oldProfile?: boolean }): Promise<Member>;
  /** The member on a new session: after the clock moved past their access token's lifetime. */
  again(member: Member): Promise<Member>;
  /** The notification rows of a recipient, oldest first. */
  rows(recipientId: string): Promise<Selectable<NotificationTable>[]>;
  /** The push jobs queued for a recipient, oldest first. */
  pushJobs(recipientId: string): Promise<Selectable<PushJobTable>[]>;
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The user module as the host runs it, handing out the app it built (tests reach its database). */
export function harnessedUserModule(): { module: ServiceModule; app(): UserApp } {
  let built: UserApp | undefined;
  const module = defineService<UserDatabase>({
    ...userModule,
    create(ctx) {
      const parts = createUserParts(ctx);
      built = parts.app;
      return parts;
    },
  });
  return {
    module,
    app() {
      if (!built) throw new Error('user app was not built');
      return built;
    },
  };
}

/** The notification helpers over a running auth harness that hosts `harnessedUserModule()`. */
export function notificationHarness(
  h: AuthHarnessLike,
  app: UserApp,
  seedUser: () => Promise<TestUser>,
  newAccessToken: (userId: string) => Promise<string>,
): NotificationHarness {
  const db = app.database.db;

  const publish = async (domain: Domain, payload: EventPayload) => {
    await app.database.transaction((trx) =>
      recordEvent(trx, {
        source: domain,
        actor: { service: domain },
        payload,
        occurredAt: h.clock.now(),
      }),
    );
  };

  const markers: Record<Domain, (recipientId: string, id: string) => EventPayload> = {
    user: (recipientId, id) => ({
      case: 'userFollowRequested',
      value: { requesterId: id, targetId: recipientId, version: 1n },
    }),
    post: (recipientId, id) => ({
      case: 'postMentioned',
      value: { postId: id, authorId: uuidv7(), mentionedUserId: recipientId },
    }),
    circle: (recipientId, id) => ({
      case: 'circleRoleChanged',
      value: { circleId: id, userId: recipientId, version: 1n },
    }),
    support: (recipientId, id) => ({
      case: 'supportCheckInReminded',
      value: { checkInId: id, userId: recipientId, version: 1n },
    }),
    moderation: (recipientId, id) => ({
      case: 'moderationAppealResolved',
      value: { appealId: id, actionId: uuidv7(), userId: recipientId },
    }),
    auth: (recipientId) => ({ case: 'authPasswordChanged', value: { userId: recipientId } }),
  };

  const rows = (recipientId: string) =>
    db
      .selectFrom('notifications')
      .selectAll()
      .where('recipient_id', '=', recipientId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();

  const harness: NotificationHarness = {
    h,
    app,
    publish,
    async settle(domain) {
      const recipientId = uuidv7();
      await publish(domain, markers[domain](recipientId, uuidv7()));
      await waitFor(async () => (await rows(recipientId)).length > 0, {
        what: `the ${domain} marker`,
      });
    },
    async member(options = {}) {
      const user = await seedUser();
      await publish('auth', {
        case: 'authUserRegistered',
        value: { userId: user.userId, username: user.username, email: user.email, locale: 'en' },
      });
      await waitFor(
        async () =>
          (await db
            .selectFrom('profiles')
            .select('user_id')
            .where('user_id', '=', user.userId)
            .executeTakeFirst()) !== undefined,
        { what: 'the profile' },
      );
      if (options.oldProfile !== false) {
        // An established account: the new-accounts policy does not apply to it.
        await db
          .updateTable('profiles')
          .set({ created_at: new Date(h.clock.now().getTime() - 90 * DAY_MS) })
          .where('user_id', '=', user.userId)
          .execute();
      }
      return {
        ...user,
        notifications: createClient(NotificationService, h.as(user.accessToken).transport),
      };
    },
    async again(member) {
      const accessToken = await newAccessToken(member.userId);
      return {
        ...member,
        accessToken,
        notifications: createClient(NotificationService, h.as(accessToken).transport),
      };
    },
    rows,
    pushJobs: (recipientId) =>
      db
        .selectFrom('push_jobs')
        .selectAll()
        .where('recipient_id', '=', recipientId)
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    stop: () => h.stop(),
  };
  return harness;
}
