import type { ReportRequest } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { Report } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ReportOutcome } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { InvalidArgumentError, ResourceExhaustedError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import { isSosRelated } from '../sos/sos-store.js';
import { recordEvents } from '../subjects/record.js';
import { refOf } from '../subjects/subject-ref.js';
import { lockSubject } from '../subjects/subject-store.js';
import { reportOf } from '../views.js';
import { subcategoryFits } from './reasons.js';
import { findPendingReport, insertReport, isReporterMuted, updateReport } from './report-store.js';
import { captureContent, keepCaptured } from './snapshot.js';

/**
 * Report: snapshots the subject and the attached posts as the reporter sees them, then files
 * the report, or merges it into the reporter's pending report of the same subject. A muted
 * reporter's report is recorded and decided with the subject but stays out of the queue.
 */
export async function fileReport(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ReportRequest,
): Promise<Report> {
  const reporterId = caller.principal.userId;
  const now = caller.now;
  const ref = refOf(req.subject);
  if (!subcategoryFits(req.category, req.subcategory)) {
    throw new InvalidArgumentError([
      { field: 'subcategory', message: 'is not a reason under this category' },
    ]);
  }
  if (ref.kind === SubjectKind.USER && ref.id === reporterId) {
    throw new InvalidArgumentError([{ field: 'subject', message: 'you cannot report yourself' }]);
  }
  const allowed = await app.reportLimiter.consume(reporterId);
  if (!allowed.allowed) {
    throw new ResourceExhaustedError({
      retryAfterMs: allowed.retryAfterMs,
      message: 'too many reports; try again later',
    });
  }
  const subjectField = `subject.${ref.kind === SubjectKind.USER ? 'user_id' : ref.kind === SubjectKind.POST ? 'post_id' : ref.kind === SubjectKind.CIRCLE ? 'circle_id' : 'incident_id'}`;
  const captured = await captureContent(app, ref, reporterId, subjectField);
  if (captured.authorId === reporterId) {
    throw new InvalidArgumentError([
      { field: subjectField, message: 'you cannot report your own content' },
    ]);
  }
  const evidence = await Promise.all(
    req.postIds.map(async (postId, i) => ({
      ref: { kind: SubjectKind.POST, id: postId },
      captured: await captureContent(
        app,
        { kind: SubjectKind.POST, id: postId },
        reporterId,
        `post_ids[${i}]`,
      ),
    })),
  );

  return app.database.transaction(async (trx) => {
    const subject = await lockSubject(trx, ref, now);
    const queued = !(await isReporterMuted(trx, reporterId, now));
    const pending = await findPendingReport(trx, reporterId, ref);
    const report = pending
      ? await updateReport(trx, pending.id, {
          comment: req.comment || pending.comment,
          post_ids: [...new Set([...pending.post_ids, ...req.postIds])].slice(0, 100),
          // A repeat after the reporter's mute ended brings it into the queue.
          queued: pending.queued || queued,
        })
      : await insertReport(trx, {
          id: uuidv7(),
          reporter_id: reporterId,
          subject_kind: ref.kind,
          subject_id: ref.id,
          category: req.category,
          subcategory: req.subcategory,
          comment: req.comment,
          post_ids: req.postIds,
          queued,
          outcome: ReportOutcome.PENDING,
          created_at: now,
        });
    await keepCaptured(trx, ref, captured, { case: 'reportId', value: report.id }, now);
    for (const e of evidence) {
      await keepCaptured(trx, e.ref, e.captured, { case: 'reportId', value: report.id }, now);
    }
    const view = reportOf(report);
    // An open help request or SOS, or the account of someone with one open, goes first.
    const sosRelated = await isSosRelated(trx, ref);
    await recordEvents(
      trx,
      ref,
      subject,
      [
        {
          actor: { userId: reporterId },
          kind: { case: 'reportFiled', value: view },
          queued: report.queued,
        },
      ],
      now,
      { author_id: captured.authorId, sos_related: sosRelated },
    );
    if (!pending) {
      await app.emit(trx, reporterId, {
        case: 'moderationReportFiled',
        value: {
          reportId: report.id,
          reporterId,
          subject: req.subject,
          category: req.category,
          sosRelated,
        },
      });
    }
    return view;
  });
}
