// The rule runner: takes queued content (content-events.ts), evaluates the enabled rules on it
// (the classifier included, outside any transaction), snapshots what matched as its author sees
// it, and applies each rule's effect, every one recorded with the rule as its actor. A staff
// decision outranks a rule: on a dismissed subject, or one whose action staff or an appeal
// reversed, matches are recorded without effect.
import { NotFoundError } from '@kith/errors';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { RuleEffect } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import {
  ActionGround,
  ActionType,
  Severity,
  SubjectStatus,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { Daemon } from '@kith/runtime';
import type { Selectable } from 'kysely';
import type { ModerationApp } from '../app.js';
import { humanReversalOn } from '../actions/action-store.js';
import { applyAction } from '../actions/apply.js';
import type { RuleJobsTable } from '../db/schema.js';
import { categoryPolicy } from '../reports/reasons.js';
import { captureContent, keepCaptured } from '../reports/snapshot.js';
import type { Captured } from '../reports/snapshot.js';
import { recordEvents } from '../subjects/record.js';
import type { EventDraft } from '../subjects/record.js';
import { lockSubject } from '../subjects/subject-store.js';
import { RULE_JOBS_QUEUED } from './content-events.js';
import { ruleSetOf } from './engine.js';
import { evaluateContent } from './evaluate.js';
import type { RuleMatch } from './evaluate.js';
import { claimRuleJobs, finishRuleJob } from './rule-store.js';

type Job = Selectable<RuleJobsTable>;

/** A claimed job is another runner's to skip for this long (the classifier and a snapshot). */
const LEASE_MS = 30_000;
/** A job whose content cannot be read is tried this many times, then checked without a snapshot. */
const MAX_ATTEMPTS = 5;

const ACTIONS: Partial<Record<RuleEffect, ActionType>> = {
  [RuleEffect.MARK_SENSITIVE]: ActionType.MARK_SENSITIVE,
  [RuleEffect.HIDE]: ActionType.HIDE_CONTENT,
  [RuleEffect.REJECT]: ActionType.HIDE_CONTENT,
};

function explanation(type: ActionType, label: string): string {
  return type === ActionType.MARK_SENSITIVE
    ? `An automated rule found content that may be sensitive (${label}); it is shown behind a warning.`
    : `An automated rule found content that appears to break our rules on ${label}; it is hidden until a moderator reviews it.`;
}

/** Claims due jobs and runs them; returns how many were taken. */
export async function runRuleJobs(app: ModerationApp, limit = 50): Promise<number> {
  const jobs = await claimRuleJobs(app.database.db, app.clock(), LEASE_MS, limit);
  for (const job of jobs) {
    try {
      await runJob(app, job);
    } catch (err) {
      app.logger.warn({ err, jobId: job.id }, 'rule job failed; it is tried again later');
    }
  }
  return jobs.length;
}

async function matchesOf(app: ModerationApp, job: Job): Promise<RuleMatch[]> {
  const { compiled, byId } = ruleSetOf(await app.enabledRules());
  if (job.forced_rule_id) {
    const rule = byId.get(job.forced_rule_id);
    if (!rule) return [];
    return [
      {
        ruleId: rule.ruleId,
        field: '',
        detail: job.forced_detail,
        effect: rule.effect,
        shadow: rule.shadow,
        category: rule.category,
      },
    ];
  }
  const matches = await evaluateContent(
    compiled,
    { scope: job.scope, fields: job.fields },
    { classifier: app.classifier },
  );
  // One match per rule: its first field.
  return [...new Map(matches.map((m) => [m.ruleId, m])).values()];
}

async function runJob(app: ModerationApp, job: Job): Promise<void> {
  const matches = await matchesOf(app, job);
  if (matches.length === 0) {
    await finishRuleJob(app.database.db, job.id);
    return;
  }
  const ref = { kind: job.subject_kind, id: job.subject_id };
  let captured: Captured | undefined;
  try {
    captured = await captureContent(app, ref, job.author_id, 'subject');
  } catch (err) {
    // Deleted meanwhile: nothing left to act on.
    if (err instanceof NotFoundError) {
      await finishRuleJob(app.database.db, job.id);
      return;
    }
    // Unreadable for now: tried again after the lease, then checked without a snapshot.
    if (job.attempts < MAX_ATTEMPTS) throw err;
  }
  const now = app.clock();
  await app.database.transaction(async (trx) => {
    // Exactly once: a second runner that got here finds the job gone.
    if (!(await finishRuleJob(trx, job.id))) return;
    let row = await lockSubject(trx, ref, now);
    const decidedByStaff =
      row.status === SubjectStatus.DISMISSED || (await humanReversalOn(trx, ref));
    const acting = matches.filter((m) => !m.shadow && !decidedByStaff);
    const firstRule = (acting[0] ?? matches[0])!.ruleId;
    if (captured) {
      await keepCaptured(trx, ref, captured, { case: 'ruleId', value: firstRule }, now);
    }
    const matched = (m: RuleMatch): EventDraft => ({
      actor: { ruleId: m.ruleId },
      kind: {
        case: 'ruleMatched',
        value: {
          ruleId: m.ruleId,
          detail: [
            m.field,
            m.detail,
            decidedByStaff && !m.shadow ? '(after a staff decision: no effect)' : '',
          ]
            .filter(Boolean)
            .join(': '),
          // Recorded only: the rule is in shadow mode, or staff decided this subject.
          shadow: m.shadow || decidedByStaff,
        },
      },
    });
    // Content actions need content: a profile is only flagged.
    const actionOf = (m: RuleMatch) =>
      ref.kind === SubjectKind.USER || !acting.includes(m) ? undefined : ACTIONS[m.effect];
    const hides = matches.filter((m) => actionOf(m) === ActionType.HIDE_CONTENT);
    // Flags and sensitive marks first; a hide is recorded after its action, so the subject ends
    // OPEN for review rather than closed by the action.
    row = (
      await recordEvents(
        trx,
        ref,
        row,
        matches.filter((m) => !hides.includes(m)).map(matched),
        now,
        { author_id: job.author_id },
      )
    ).row;
    for (const m of matches) {
      const type = actionOf(m);
      if (type === undefined) continue;
      const { code, label } = categoryPolicy(m.category);
      row = (
        await applyAction(
          app,
          trx,
          row,
          {
            ref,
            userId: job.author_id,
            type,
            severity: Severity.MEDIUM,
            durationMs: null,
            policy: code,
            ground: ActionGround.TERMS,
            legalReference: '',
            explanation: explanation(type, label),
            internalNote: `rule ${m.ruleId}: ${m.detail}`,
            strike: false,
            actor: { ruleId: m.ruleId },
            automatedDetection: true,
            reporterMessage: '',
            decidesReports: false,
          },
          now,
        )
      ).recorded.row;
    }
    if (hides.length) await recordEvents(trx, ref, row, hides.map(matched), now);
  });
}

/** How often the runner looks for queued content besides being woken by a commit. */
export const RULE_RUNNER_EVERY_MS = 1_000;

/**
 * The runner: woken by each commit that queued content (RULE_JOBS_QUEUED), and every second for
 * jobs whose lease ran out; one run at a time per process.
 */
export function ruleRunnerDaemon(app: ModerationApp): Daemon {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          while ((await runRuleJobs(app)) > 0 && !stopped) {
            // Drain what is due.
          }
        } catch (err) {
          app.logger.error({ err }, 'rule runner failed');
        }
      } while (again && !stopped);
    })().finally(() => (running = undefined));
  };
  return {
    name: 'moderation-rules',
    start() {
      stopped = false;
      unlisten = app.database.onCommitted(RULE_JOBS_QUEUED, () => kick());
      timer = setInterval(kick, RULE_RUNNER_EVERY_MS);
      kick();
    },
    async stop() {
      stopped = true;
      unlisten?.();
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
