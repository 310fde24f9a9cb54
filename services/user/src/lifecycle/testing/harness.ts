import crypto from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import { encodeEvent, eventSubject } from '@kith/bus';
import type { EnvelopeInit, OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { decodeEvent, defineService, eventType } from '@kith/runtime';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import type { ManualClock } from '@kith/testkit';
import type { ServiceModule } from '@kith/runtime';
import type { UserApp } from '../../app.js';
import { createUserParts, userModule } from '../../module.js';
import type { UserDatabase } from '../../db/schema.js';
import { zipJsonFiles, sha256Hex } from '../archive.js';
import type { Lifecycle } from '../deps.js';
import { createLifecycle } from '../parts.js';
import { partObjectKey } from '../participants.js';

/**
 * What the lifecycle tests use of auth's harness (`startAuthHarness`, which the test files
 * import by path: only tests may host another service, this support file may not).
 */
export interface HostHarness {
  url: string;
  clock: ManualClock;
  as(token: string): { transport: Transport };
  stop(): Promise<void>;
}

export interface LifecycleHarness<H extends HostHarness = HostHarness> {
  h: H;
  app: UserApp;
  lifecycle: Lifecycle;
  /** A UserService client sending `token` (an access token or an API key). */
  users(token: string): Client<typeof UserService>;
  stop(): Promise<void>;
}

/**
 * Auth and the user service in one embedded process, with any other `modules`; the lifecycle
 * built on the same app. The sagas wait for `participants`: the services that run here and
 * those the test stands in for (STAND_IN_PARTICIPANTS). By default only auth and the user
 * service, which always run here.
 */
export async function startLifecycleHarness<H extends HostHarness>(
  startAuthHarness: (options: { modules: ServiceModule[] }) => Promise<H>,
  options: { participants?: readonly KithService[]; modules?: ServiceModule[] } = {},
): Promise<LifecycleHarness<H>> {
  let app: UserApp | undefined;
  const overrides = { participants: options.participants ?? [KithService.AUTH, KithService.USER] };
  const module = defineService<UserDatabase>({
    ...userModule,
    create(ctx) {
      const parts = createUserParts(ctx, { lifecycle: overrides });
      app = parts.app;
      return parts;
    },
  });
  const h = await startAuthHarness({ modules: [module, ...(options.modules ?? [])] });
  if (!app) throw new Error('user app was not built');
  const built = app;
  return {
    h,
    app: built,
    // Same settings, same data dir and derived secret as the running module's.
    lifecycle: createLifecycle(built, overrides),
    users: (token) => createClient(UserService, h.as(token).transport),
    stop: () => h.stop(),
  };
}

/**
 * Publishes an event on the bus as another service would from its outbox: how the tests stand
 * in for the post, circle, support and moderation services, which do not run here.
 */
export async function publishAs(
  t: LifecycleHarness,
  source: string,
  payload: EventPayload,
): Promise<void> {
  const id = crypto.randomUUID();
  const type = eventType(payload.case as never);
  const envelope: EnvelopeInit = {
    id,
    type,
    occurredAt: timestampFromDate(t.h.clock.now()),
    actor: { kind: { case: 'service', value: source } },
    schemaVersion: 1,
    source,
    payload,
  };
  await t.app.bus.publish({
    id,
    subject: eventSubject(type),
    data: encodeEvent(envelope),
    headers: {},
  });
}

/**
 * Stands in for another service's part of an export (data_events.proto step 2): writes a ZIP
 * of `files` where the saga says and announces it.
 */
export async function publishPart(
  t: LifecycleHarness,
  service: KithService,
  part: {
    userId: string;
    dataExportId: string;
    files: Record<string, unknown>;
    /** Announce another hash than the object's (a part altered in the bucket). */
    sha256?: string;
    /** Announce another key than the saga's (the object is still written at the right one). */
    objectKey?: string;
  },
): Promise<void> {
  const zip = zipJsonFiles(part.files, t.h.clock.now());
  const objectKey = partObjectKey(part.dataExportId, service);
  await t.lifecycle.blobs.put(objectKey, zip);
  await publishAs(t, KithService[service].toLowerCase(), {
    case: 'dataExportPartReady',
    value: {
      dataExportId: part.dataExportId,
      userId: part.userId,
      service,
      objectKey: part.objectKey ?? objectKey,
      sha256: part.sha256 ?? sha256Hex(zip),
      sizeBytes: BigInt(zip.length),
    },
  });
}

/** The services the lifecycle tests stand in for: none of them runs in this harness. */
export const MISSING_SERVICES = [
  KithService.POST,
  KithService.CIRCLE,
  KithService.SUPPORT,
  KithService.MODERATION,
] as const;

/**
 * The real participants and the stand-ins: what the sagas wait for in tests of a saga with
 * every service (pass as `participants` to startLifecycleHarness).
 */
export const STAND_IN_PARTICIPANTS: readonly KithService[] = [
  KithService.AUTH,
  KithService.USER,
  ...MISSING_SERVICES,
];

/** Every event the user service has written to its outbox, oldest first. */
export async function userOutbox(t: LifecycleHarness) {
  const outbox = withTables<OutboxTables>(t.app.database.db);
  const rows = await outbox.selectFrom('outbox').select('data').orderBy('id').execute();
  return rows.map((r) => decodeEvent(r.data).payload);
}

/** Polls `check` until it holds (consumers run asynchronously on the bus). */
export function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  return waitFor(check, { timeoutMs: 15_000, intervalMs: 50, what });
}
