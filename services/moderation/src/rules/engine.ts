// The rules as the runner, the consumers and CheckContent use them: the enabled rules compiled
// once per change, and the external classifier when one is configured.
import { fromBinary } from '@bufbuild/protobuf';
import type { Rule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { RuleSchema } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { classifierMetrics, createClassifier } from './classifier.js';
import type { Classifier } from './classifier.js';
import { compileRules } from './evaluate.js';
import type { CompiledRule } from './evaluate.js';
import type { RuleRow } from './rule-store.js';

export interface RuleSet {
  compiled: CompiledRule[];
  byId: ReadonlyMap<string, Rule>;
}

let last: { key: string; set: RuleSet } | undefined;

/**
 * The rule set of these rows, compiled only when the rules changed since the last call (their
 * ids and versions tell): word lists of a thousand words are not recompiled per event.
 */
export function ruleSetOf(rows: readonly RuleRow[]): RuleSet {
  const key = rows
    .map((r) => `${r.id}:${r.version}`)
    .sort()
    .join(',');
  if (last?.key !== key) {
    const rules = rows.map((row) => fromBinary(RuleSchema, row.body));
    last = {
      key,
      set: { compiled: compileRules(rules), byId: new Map(rules.map((r) => [r.ruleId, r])) },
    };
  }
  return last.set;
}

const ClassifierEnv = z.object({
  MODERATION_CLASSIFIER_URL: z.url().optional(),
  MODERATION_CLASSIFIER_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  MODERATION_CLASSIFIER_COOLDOWN_MS: z.coerce.number().int().min(100).default(30_000),
});

/**
 * The classifier at MODERATION_CLASSIFIER_URL behind its timeout and breaker, counting skips
 * in kith_moderation_classifier_skips_total; null when none is configured (its rules skip).
 */
export function classifierFromEnv(env: NodeJS.ProcessEnv, metrics: Registry): Classifier | null {
  const config = ClassifierEnv.parse(env);
  if (!config.MODERATION_CLASSIFIER_URL) return null;
  const { skips } = classifierMetrics(metrics);
  return createClassifier({
    url: config.MODERATION_CLASSIFIER_URL,
    timeoutMs: config.MODERATION_CLASSIFIER_TIMEOUT_MS,
    cooldownMs: config.MODERATION_CLASSIFIER_COOLDOWN_MS,
    onSkip: (reason) => skips.inc({ reason }),
  });
}
