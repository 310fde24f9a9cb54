// Subject mutes (new reports neither reopen nor raise it until the mute ends) and reporter
// mutes (their reports stay out of the queue), each logged; a daemon ends subject mutes.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  ListMutedReportersRequest,
  MutedReporter,
  MuteReporterRequest,
  MuteSubjectRequest,
  UnmuteReporterRequest,
  UnmuteSubjectRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import {
  MutedReporterSchema,
  SubjectKind,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { QueueItem } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { SubjectStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { FailedPreconditionError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import { changeSubject } from '../subjects/change.js';
import { recordEvents } from '../subjects/record.js';
import type { SubjectRef } from '../subjects/subject-ref.js';
import { refOf } from '../subjects/subject-ref.js';
import { lockSubject } from '../subjects/subject-store.js';
import { queueItemOf } from '../views.js';
import {
  endReporterMute,
  expiredSubjectMutes,
  mutedReportersPage,
  saveReporterMute,
} from './mute-store.js';
import type { ReporterMuteRow } from './mute-store.js';

const ms = (d: { seconds: bigint; nanos: number } | undefined) =>
  d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : 0;

export async function muteSubject(
  app: ModerationApp,
  caller: SignedInCaller,
  req: MuteSubjectRequest,
): Promise<QueueItem> {
  const until = new Date(caller.now.getTime() + ms(req.duration));
  const recorded = await changeSubject(app, refOf(req.subject), caller.now, () => ({
    drafts: [
      {
        actor: { userId: caller.principal.userId },
        kind: {
          case: 'subjectMuted',
          value: { until: timestampFromDate(until), reason: req.reason },
        },
      },
    ],
  }));
  return queueItemOf(recorded.row);
}

export async function unmuteSubject(
  app: ModerationApp,
  caller: SignedInCaller,
  req: UnmuteSubjectRequest,
): Promise<QueueItem> {
  const recorded = await changeSubject(app, refOf(req.subject), caller.now, (_trx, row) => {
    if (row.status !== SubjectStatus.MUTED) {
      throw new FailedPreconditionError('the subject is not muted');
    }
    return {
      drafts: [
        {
          actor: { userId: caller.principal.userId },
          kind: { case: 'subjectUnmuted', value: { reason: req.reason } },
        },
      ],
    };
  });
  return queueItemOf(recorded.row);
}

/** Ends the subject mutes that have run out (by the system); returns how many. */
export async function endExpiredSubjectMutes(app: ModerationApp): Promise<number> {
  const now = app.clock();
  const due = await expiredSubjectMutes(app.database.db, now, 100);
  for (const ref of due) {
    await app.database.transaction(async (trx) => {
      const row = await lockSubject(trx, ref, now);
      // Unmuted by staff meanwhile, or muted again for longer.
      if (row.status !== SubjectStatus.MUTED || !row.muted_until || row.muted_until > now) return;
      await recordEvents(
        trx,
        ref,
        row,
        [
          {
            actor: { system: true },
            kind: { case: 'subjectUnmuted', value: { reason: 'expired' } },
          },
        ],
        now,
      );
    });
  }
  return due.length;
}

const mutedReporterOf = (row: ReporterMuteRow): MutedReporter =>
  create(MutedReporterSchema, {
    reporterId: row.reporter_id,
    until: timestampFromDate(row.until),
    reason: row.reason,
    mutedByUserId: row.muted_by,
    mutedAt: timestampFromDate(row.muted_at),
  });

/** A reporter mute is logged on the reporter's own user subject. */
async function logOnReporter(
  app: ModerationApp,
  reporter: SubjectRef,
  now: Date,
  draft: Parameters<typeof recordEvents>[3][number],
  apply: (trx: Kysely<ModerationDatabase>) => Promise<void>,
): Promise<void> {
  await app.database.transaction(async (trx) => {
    await apply(trx);
    const row = await lockSubject(trx, reporter, now);
    await recordEvents(trx, reporter, row, [draft], now);
  });
}

export async function muteReporter(
  app: ModerationApp,
  caller: SignedInCaller,
  req: MuteReporterRequest,
): Promise<MutedReporter> {
  const now = caller.now;
  const row: ReporterMuteRow = {
    reporter_id: req.reporterId,
    until: new Date(now.getTime() + ms(req.duration)),
    reason: req.reason,
    muted_by: caller.principal.userId,
    muted_at: now,
  };
  await logOnReporter(
    app,
    { kind: SubjectKind.USER, id: req.reporterId },
    now,
    {
      actor: { userId: caller.principal.userId },
      kind: {
        case: 'reporterMuted',
        value: {
          reporterId: req.reporterId,
          until: timestampFromDate(row.until),
          reason: req.reason,
        },
      },
    },
    (trx) => saveReporterMute(trx, row),
  );
  return mutedReporterOf(row);
}

export async function unmuteReporter(
  app: ModerationApp,
  caller: SignedInCaller,
  req: UnmuteReporterRequest,
): Promise<void> {
  const now = caller.now;
  await logOnReporter(
    app,
    { kind: SubjectKind.USER, id: req.reporterId },
    now,
    {
      actor: { userId: caller.principal.userId },
      kind: { case: 'reporterUnmuted', value: { reporterId: req.reporterId, reason: req.reason } },
    },
    async (trx) => {
      if (!(await endReporterMute(trx, req.reporterId, now))) {
        throw new FailedPreconditionError('the reporter is not muted');
      }
    },
  );
}

export async function listMutedReporters(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ListMutedReportersRequest,
) {
  const page = await mutedReportersPage(app.database.db, caller.now, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: 'moderation.ListMutedReporters',
  });
  return { reporters: page.items.map(mutedReporterOf), nextPageToken: page.nextPageToken };
}
