// The moderation service's test world: Kith started by the test (typically the post service's
// harness with the user service beside it: services do not import each other, a test file
// may, and hands them in), moderation's module in it with its timers left to the test, people
// with a ModerationService client, staff with the console, the clock moved with everyone
// signed in again, and moderation's outbox read and written as other services would.
import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import type { OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { decodeEvent, defineService, recordEvent } from '@kith/runtime';
import type { EventPayload, ServiceModule } from '@kith/runtime';
import type { Registry } from 'prom-client';
import type { ModerationApp } from '../app.js';
import type { Classifier } from '../rules/classifier.js';
import type { ModerationDatabase } from '../db/schema.js';
import { createModerationParts, moderationModule } from '../module.js';

export type StaffRole = 'triage' | 'moderator' | 'admin';

interface Host {
  clock: { advance(ms: number): void };
  as(token: string): { transport: Transport };
}

export interface WorldDeps<H extends Host, K extends { h: H; stop(): Promise<void> }> {
  /** Starts Kith with these modules besides the test's own (the harness `K`). */
  start(moderation: ServiceModule): Promise<K>;
  /** A signed-in account holding `role`. */
  seedStaff(h: H, role: StaffRole): Promise<{ userId: string; accessToken: string }>;
  /** A fresh access token for the account (a new session). */
  signIn(h: H, account: { userId: string }): Promise<string>;
}

export interface StaffMember {
  userId: string;
  role: StaffRole;
  console: Client<typeof ModerationAdminService>;
}

export interface ModerationWorld<K> {
  /** What `start` returned: the harness the test drives content through. */
  c: K;
  app: ModerationApp;
  /** `account` with a ModerationService client as them. */
  withModeration<P extends { accessToken: string }>(
    account: P,
  ): P & { moderation: Client<typeof ModerationService> };
  /** A staff member, known to moderation (their first console call records their role). */
  staff(role: StaffRole): Promise<StaffMember>;
  /**
   * Moves the clock on; every staff member and each of `people` signs in again (access tokens
   * live 10 minutes), their clients replaced in place.
   */
  advance(ms: number, people?: { userId: string; accessToken: string }[]): Promise<void>;
  /** Every event moderation published (its outbox), oldest first. */
  events(): Promise<Envelope['payload'][]>;
  /** Publishes an event as another service would, through moderation's own outbox. */
  publishAs(source: string, payload: EventPayload): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the world. `daemons`: the moderation daemons to keep running (by name; none by
 * default, so expiry and the rule runner run when the test runs them); `classifier`: the
 * external classifier moderation uses, built on the service's metrics registry.
 */
export async function startModerationWorld<
  H extends Host,
  K extends { h: H; stop(): Promise<void> },
>(
  deps: WorldDeps<H, K>,
  options: {
    daemons?: readonly string[];
    classifier?: (metrics: Registry) => Classifier | null;
  } = {},
): Promise<ModerationWorld<K>> {
  let built: ModerationApp | undefined;
  const module = defineService<ModerationDatabase>({
    ...moderationModule,
    create(ctx) {
      const parts = createModerationParts(ctx, { classifier: options.classifier?.(ctx.metrics) });
      built = parts.app;
      const kept = new Set(options.daemons ?? []);
      return { ...parts, daemons: (parts.daemons ?? []).filter((d) => kept.has(d.name)) };
    },
  });
  const c = await deps.start(module);
  if (!built) throw new Error('moderation app was not built');
  const app = built;
  const h = c.h;
  const members: StaffMember[] = [];
  const withModeration = <P extends { accessToken: string }>(account: P) => ({
    ...account,
    moderation: createClient(ModerationService, h.as(account.accessToken).transport),
  });
  return {
    c,
    app,
    withModeration,
    async staff(role) {
      const s = await deps.seedStaff(h, role);
      const member = {
        userId: s.userId,
        role,
        console: createClient(ModerationAdminService, h.as(s.accessToken).transport),
      };
      members.push(member);
      // Moderation learns who is on staff from auth.role_changed, or from the member's own
      // console calls (a seeded role comes without the event): this call makes them assignable.
      await member.console.listQueue({ pageSize: 1 });
      return member;
    },
    async advance(ms, people = []) {
      h.clock.advance(ms);
      for (const member of members) {
        const token = await deps.signIn(h, member);
        member.console = createClient(ModerationAdminService, h.as(token).transport);
      }
      for (const person of people) {
        Object.assign(person, withModeration({ accessToken: await deps.signIn(h, person) }));
      }
    },
    async events() {
      const rows = await withTables<OutboxTables>(app.database.db)
        .selectFrom('outbox')
        .select(['id', 'data'])
        .orderBy('id')
        .execute();
      return rows.map((r) => decodeEvent(r.data).payload);
    },
    async publishAs(source, payload) {
      await app.database.transaction(async (trx) => {
        await recordEvent(trx, { source, actor: { service: source }, payload });
      });
    },
    stop: () => c.stop(),
  };
}
