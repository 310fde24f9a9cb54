// Rule management (ADMIN; ListRules TRIAGE): create, update by field mask against the version
// the edit is based on, delete (kept for the events and actions that name it), list.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createValidator } from '@bufbuild/protovalidate';
import type {
  CreateRuleRequest,
  ListRulesRequest,
  UpdateRuleRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { Rule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { RuleSchema } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { AbortedError, InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import { findRule, insertRule, rulesPage, updateRule } from './rule-store.js';
import type { RuleRow } from './rule-store.js';

let validator: ReturnType<typeof createValidator> | undefined;

export function ruleOf(row: RuleRow): Rule {
  return fromBinary(RuleSchema, row.body);
}

export async function createRule(
  app: ModerationApp,
  caller: SignedInCaller,
  req: CreateRuleRequest,
): Promise<Rule> {
  const now = caller.now;
  const rule = create(RuleSchema, {
    ...req.rule!,
    ruleId: uuidv7(),
    createdByUserId: caller.principal.userId,
    createdAt: timestampFromDate(now),
    updatedAt: timestampFromDate(now),
    version: 1,
  });
  await insertRule(app.database.db, {
    id: rule.ruleId,
    body: toBinary(RuleSchema, rule),
    enabled: rule.enabled,
    version: 1,
    created_at: now,
  });
  app.rulesChanged();
  return rule;
}

const CONDITIONS = { word_list: 'wordList', link: 'link', rate: 'rate', classifier: 'classifier' };

export async function updateRuleFields(
  app: ModerationApp,
  caller: SignedInCaller,
  req: UpdateRuleRequest,
): Promise<Rule> {
  const now = caller.now;
  const updated = await app.database.transaction(async (trx) => {
    const row = await findRule(trx, req.ruleId, true);
    if (!row) throw new NotFoundError('rule not found');
    if (row.version !== req.baseVersion) {
      throw new AbortedError(
        'the rule changed since it was read; reload it and apply the edit again',
      );
    }
    const rule = ruleOf(row);
    const from = req.rule!;
    for (const path of req.updateMask!.paths) {
      if (path in CONDITIONS) {
        const wanted = CONDITIONS[path as keyof typeof CONDITIONS];
        if (from.condition.case !== wanted) {
          throw new InvalidArgumentError([
            { field: `rule.${path}`, message: 'is named in update_mask but not set' },
          ]);
        }
        rule.condition = from.condition;
        continue;
      }
      switch (path) {
        case 'name':
          rule.name = from.name;
          break;
        case 'description':
          rule.description = from.description;
          break;
        case 'enabled':
          rule.enabled = from.enabled;
          break;
        case 'effect':
          rule.effect = from.effect;
          break;
        case 'category':
          rule.category = from.category;
          break;
        case 'scopes':
          rule.scopes = from.scopes;
          break;
        case 'shadow':
          rule.shadow = from.shadow;
          break;
      }
    }
    // The edit must leave a whole, valid rule (e.g. REJECT only on word lists and links).
    validator ??= createValidator();
    const result = validator.validate(RuleSchema, rule);
    if (result.kind !== 'valid') {
      const message =
        result.kind === 'invalid' ? result.violations.map((v) => v.message).join('; ') : 'invalid';
      throw new InvalidArgumentError([
        { field: 'update_mask', message: `would leave an invalid rule: ${message}` },
      ]);
    }
    rule.version = row.version + 1;
    rule.updatedAt = timestampFromDate(now);
    await updateRule(trx, row.id, {
      body: toBinary(RuleSchema, rule),
      enabled: rule.enabled,
      version: rule.version,
    });
    return rule;
  });
  app.rulesChanged();
  return updated;
}

export async function deleteRule(app: ModerationApp, caller: SignedInCaller, ruleId: string) {
  await app.database.transaction(async (trx) => {
    const row = await findRule(trx, ruleId, true);
    if (!row) throw new NotFoundError('rule not found');
    await updateRule(trx, ruleId, { deleted_at: caller.now });
  });
  app.rulesChanged();
}

export async function listRules(app: ModerationApp, req: ListRulesRequest) {
  const page = await rulesPage(app.database.db, req.enabledOnly, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListRules:${req.enabledOnly}`,
  });
  return { rules: page.items.map(ruleOf), nextPageToken: page.nextPageToken };
}
