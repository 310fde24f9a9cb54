// ModerationInternalService.CheckContent: the word-list and link rules that reject, before the
// owning service publishes. Rejections and shadow matches are logged on the author's account.
import type { CheckContentRequest } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { internalServiceDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CheckContentResponseSchema } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import type { ModerationApp } from '../app.js';
import { recordEvents } from '../subjects/record.js';
import { lockSubject } from '../subjects/subject-store.js';
import { ruleSetOf } from './engine.js';
import { evaluateContent } from './evaluate.js';

export async function checkContent(
  app: ModerationApp,
  req: CheckContentRequest,
): Promise<MessageInitShape<typeof CheckContentResponseSchema>> {
  const { compiled } = ruleSetOf(await app.enabledRules());
  const matches = await evaluateContent(
    compiled,
    { scope: req.scope, fields: req.fields },
    { rejectOnly: true },
  );
  if (matches.length === 0) return { rejected: false };
  const rejecting = matches.filter((m) => !m.shadow);
  const firstPerRule = [...new Map(matches.map((m) => [m.ruleId, m])).values()];
  const now = app.clock();
  const ref = { kind: SubjectKind.USER, id: req.authorId };
  await app.database.transaction(async (trx) => {
    const row = await lockSubject(trx, ref, now);
    await recordEvents(
      trx,
      ref,
      row,
      firstPerRule.map((m) => ({
        actor: { ruleId: m.ruleId },
        kind: {
          case: 'ruleMatched',
          value: {
            ruleId: m.ruleId,
            detail: `${m.field}: ${m.detail}`,
            shadow: m.shadow,
            rejected: !m.shadow,
          },
        },
      })),
      now,
      { author_id: req.authorId },
    );
  });
  if (rejecting.length === 0) return { rejected: false };
  return {
    rejected: true,
    rejectedFields: [...new Set(rejecting.map((m) => m.field))],
    category: rejecting[0]?.category ?? ReportCategory.OTHER,
  };
}

/** Serves CheckContent on the bus (kith.internal.moderation.CheckContent). */
export function checkContentDaemon(app: ModerationApp): Daemon {
  return internalServiceDaemon(
    'moderation-internal',
    app.ctx.bus,
    ModerationInternalService,
    { checkContent: (req) => checkContent(app, req) },
    app.logger,
  );
}
