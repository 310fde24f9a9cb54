import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import type { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { signedInCaller, staffCaller } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import { getStats, listAuditLog } from './admin/admin.js';
import type { ModerationApp } from './app.js';
import { reverse, takeAction } from './actions/take-action.js';
import {
  appeal,
  getMyAction,
  listAppeals,
  listMyActions,
  listMyStrikes,
  resolveAppeal,
} from './appeals/appeals.js';
import { dismiss, reopen } from './queue/decide.js';
import {
  listMutedReporters,
  muteReporter,
  muteSubject,
  unmuteReporter,
  unmuteSubject,
} from './queue/mutes.js';
import { getSubject, getSubjectContent, listQueue } from './queue/reads.js';
import {
  acknowledge,
  assign,
  comment,
  escalate,
  setPriority,
  tagSubject,
  unassign,
} from './queue/triage.js';
import { listMyReports } from './reports/mine.js';
import { reasonsIn } from './reports/reasons.js';
import { fileReport } from './reports/report.js';
import { createRule, deleteRule, listRules, updateRuleFields } from './rules/rules-admin.js';
import { saveRole } from './staff/staff-store.js';

/** Reports, reasons, and the caller's own actions, strikes and appeals. */
export function moderationHandlers(
  app: ModerationApp,
): Partial<ServiceImpl<typeof ModerationService>> {
  const caller = (ctx: HandlerContext) => signedInCaller(app, ctx);
  return {
    async report(req, ctx) {
      return { report: await fileReport(app, caller(ctx), req) };
    },
    listMyReports: (req, ctx) => listMyReports(app, caller(ctx), req),
    getReportReasons(req, ctx) {
      caller(ctx);
      const locale = req.locale || (ctx.requestHeader.get('accept-language') ?? '').split(',')[0]!;
      return { reasons: reasonsIn(locale.trim()) };
    },
    listMyStrikes: (req, ctx) => listMyStrikes(app, caller(ctx), req),
    listMyActions: (req, ctx) => listMyActions(app, caller(ctx), req),
    async getMyAction(req, ctx) {
      return { action: await getMyAction(app, caller(ctx), req.actionId) };
    },
    async appeal(req, ctx) {
      return { appeal: await appeal(app, caller(ctx), req) };
    },
  };
}

/**
 * The staff console. The role gate (module.ts) already refused callers below each method's
 * role; each call also records the caller's role, so Assign knows who is on staff.
 */
export function moderationAdminHandlers(
  app: ModerationApp,
): Partial<ServiceImpl<typeof ModerationAdminService>> {
  // The roles this process recorded, so a console read does not write each time.
  const recorded = new Map<string, string>();
  const staff = async (ctx: HandlerContext): Promise<SignedInCaller> => {
    const c = staffCaller(app, ctx, 'triage');
    const { userId, role } = c.principal;
    if (recorded.get(userId) !== role) {
      await saveRole(app.database.db, userId, role, c.now);
      if (recorded.size >= 10_000) recorded.clear();
      recorded.set(userId, role);
    }
    return c;
  };
  return {
    async listQueue(req, ctx) {
      await staff(ctx);
      return listQueue(app, req);
    },
    getSubject: async (req, ctx) => getSubject(app, await staff(ctx), req),
    getSubjectContent: async (req, ctx) => getSubjectContent(app, await staff(ctx), req),
    async acknowledge(req, ctx) {
      return { item: await acknowledge(app, await staff(ctx), req.subject) };
    },
    async assign(req, ctx) {
      return { item: await assign(app, await staff(ctx), req) };
    },
    async unassign(req, ctx) {
      return { item: await unassign(app, await staff(ctx), req.subject) };
    },
    async escalate(req, ctx) {
      return { item: await escalate(app, await staff(ctx), req) };
    },
    async comment(req, ctx) {
      return { event: await comment(app, await staff(ctx), req) };
    },
    async tagSubject(req, ctx) {
      return { item: await tagSubject(app, await staff(ctx), req) };
    },
    async setPriority(req, ctx) {
      return { item: await setPriority(app, await staff(ctx), req) };
    },
    async dismiss(req, ctx) {
      return { item: await dismiss(app, await staff(ctx), req) };
    },
    async reopen(req, ctx) {
      return { item: await reopen(app, await staff(ctx), req) };
    },
    async takeAction(req, ctx) {
      return { action: await takeAction(app, await staff(ctx), req) };
    },
    async reverseAction(req, ctx) {
      return { action: await reverse(app, await staff(ctx), req) };
    },
    async muteSubject(req, ctx) {
      return { item: await muteSubject(app, await staff(ctx), req) };
    },
    async unmuteSubject(req, ctx) {
      return { item: await unmuteSubject(app, await staff(ctx), req) };
    },
    async muteReporter(req, ctx) {
      return { muted: await muteReporter(app, await staff(ctx), req) };
    },
    async unmuteReporter(req, ctx) {
      await unmuteReporter(app, await staff(ctx), req);
      return {};
    },
    listMutedReporters: async (req, ctx) => listMutedReporters(app, await staff(ctx), req),
    async listAppeals(req, ctx) {
      await staff(ctx);
      return listAppeals(app, req);
    },
    async resolveAppeal(req, ctx) {
      return { appeal: await resolveAppeal(app, await staff(ctx), req) };
    },
    async listAuditLog(req, ctx) {
      await staff(ctx);
      return listAuditLog(app, req);
    },
    getStats: async (req, ctx) => getStats(app, await staff(ctx), req),
    async createRule(req, ctx) {
      return { rule: await createRule(app, await staff(ctx), req) };
    },
    async updateRule(req, ctx) {
      return { rule: await updateRuleFields(app, await staff(ctx), req) };
    },
    async deleteRule(req, ctx) {
      await deleteRule(app, await staff(ctx), req.ruleId);
      return {};
    },
    async listRules(req, ctx) {
      await staff(ctx);
      return listRules(app, req);
    },
  };
}
