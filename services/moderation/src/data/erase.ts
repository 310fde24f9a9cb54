import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { isUuid } from '@kith/bus';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { ContentSnapshotSchema } from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import { ActorSchema, ModerationEventSchema } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import {
  appealEventsOn,
  appealsOf,
  authoredSnapshots,
  detachReports,
  forgetUser,
  redactEvents,
  replaceSnapshotBody,
  reportEventsOf,
  wipeAppealTexts,
} from './erase-store.js';

type Db = Kysely<ModerationDatabase>;

/*
 * What erasure does in moderation (docs/adr/0021-moderation-service.md, "Data export and
 * erasure"). Moderation keeps the record of its decisions (DSA statements of reasons, a
 * decision's grounds and redress), minimised; what is only the user's words or only for them
 * goes:
 *
 * - Reports they filed stay as the record of what was reported and how it was decided, detached
 *   from them (a random reporter id that identifies nobody) and without their comment.
 * - Their appeals keep status and decision, without their text.
 * - Actions and strikes against them stay, keyed by their id, as the decisions' record.
 * - Snapshots of content they authored keep that they existed (subject, version, time, cause),
 *   without the content.
 * - Their reporter mute, staff role, rate-rule counts and content waiting for the rules go.
 * - The log keeps every event, but the ones carrying their words are rewritten once, through
 *   the trigger's erasure path (migration 20261210T1000): their report_filed events lose the
 *   comment and their actor, their appeal_filed and appeal_resolved events the appeal's text.
 *   Staff steps, actions and reporter-mute events stay as they are.
 */

/** The log events carrying `userId`'s words, redacted. */
async function redactLog(trx: Db, userId: string, now: Date): Promise<number> {
  const redacted: { seq: string; body: Uint8Array; detachActor: boolean }[] = [];
  for (const row of await reportEventsOf(trx, userId)) {
    const event = fromBinary(ModerationEventSchema, row.body);
    if (event.kind.case !== 'reportFiled') continue;
    event.kind.value.comment = '';
    event.actor = create(ActorSchema, {});
    redacted.push({
      seq: row.seq,
      body: toBinary(ModerationEventSchema, event),
      detachActor: true,
    });
  }
  const appeals = await appealsOf(trx, userId);
  const appealIds = new Set(appeals.map((a) => a.id));
  const subjectIds = [...new Set(appeals.map((a) => a.subject_id))];
  for (const row of await appealEventsOn(trx, subjectIds)) {
    const event = fromBinary(ModerationEventSchema, row.body);
    const kind = event.kind;
    if (kind.case !== 'appealFiled' && kind.case !== 'appealResolved') continue;
    if (!appealIds.has(kind.value.appealId)) continue;
    kind.value.text = '';
    redacted.push({
      seq: row.seq,
      body: toBinary(ModerationEventSchema, event),
      detachActor: false,
    });
  }
  await redactEvents(trx, redacted, now);
  return redacted.length;
}

/** The content of the snapshots of what `userId` authored goes; the snapshots stay. */
async function emptySnapshots(trx: Db, userId: string): Promise<number> {
  let emptied = 0;
  for (const row of await authoredSnapshots(trx, userId)) {
    const snapshot = fromBinary(ContentSnapshotSchema, row.body);
    if (snapshot.content.case === undefined) continue;
    snapshot.content = { case: undefined };
    await replaceSnapshotBody(trx, row.id, toBinary(ContentSnapshotSchema, snapshot));
    emptied++;
  }
  return emptied;
}

/**
 * `user.erased` (data_events.proto, erasure saga step 2): see the comment above for what goes
 * and what stays. Moderation then acknowledges with data.erasure_completed in the same
 * transaction, also when it held nothing. A redelivery finds nothing left to change (every
 * step selects only what is not erased yet) and acknowledges again, which the saga ignores.
 */
export function onUserErased(app: ModerationApp): ConsumerSpec<ModerationDatabase> {
  return {
    durable: 'moderation-erase-user',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased' || !isUuid(payload.value.userId)) return;
      const userId = payload.value.userId;
      const now = app.clock();
      const events = await redactLog(trx, userId, now);
      const reports = await detachReports(trx, userId);
      const appeals = await wipeAppealTexts(trx, userId);
      const snapshots = await emptySnapshots(trx, userId);
      await forgetUser(trx, userId);
      await app.emit(trx, null, {
        case: 'dataErasureCompleted',
        value: { userId, service: KithService.MODERATION },
      });
      app.logger.info({ userId, events, reports, appeals, snapshots }, 'moderation user erased');
    },
  };
}
