// Content rules (word list, link, classifier) evaluated against one piece of content. Rules
// are compiled once (compileRules) and evaluated per content event, or, with rejectOnly, by
// CheckContent before publication. Rate rules count events and are handled by their store.
import type { Rule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { RuleEffect, RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import type { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { classifierMatch } from './classifier.js';
import type { Classifier, ClassifierResult } from './classifier.js';
import { compileLinkRule } from './links.js';
import type { LinkMatcher } from './links.js';
import { compileWordList } from './text-match.js';
import type { WordMatcher } from './text-match.js';

export type ContentCondition =
  | { kind: 'wordList'; matcher: WordMatcher }
  | { kind: 'link'; matcher: LinkMatcher }
  | { kind: 'classifier'; label: string; threshold: number };

export interface CompiledRule {
  id: string;
  enabled: boolean;
  effect: RuleEffect;
  scopes: ReadonlySet<RuleScope>;
  shadow: boolean;
  category: ReportCategory;
  condition: ContentCondition;
}

export interface ContentField {
  field: string;
  text: string;
}

export interface Content {
  scope: RuleScope;
  fields: readonly ContentField[];
}

export interface RuleMatch {
  ruleId: string;
  field: string;
  /** What matched: the listed word, the link's host, or "label score". */
  detail: string;
  /** The effect in this content's scope (see effectInScope). */
  effect: RuleEffect;
  shadow: boolean;
  category: ReportCategory;
}

export type EvaluateOptions =
  /** CheckContent: only word-list and link rules that reject in this scope; no classifier. */
  | { rejectOnly: true }
  /** After publication: every rule; classifier null when none is configured (its rules skip). */
  | { rejectOnly?: false; classifier: Classifier | null };

/** Compiles the content rules; rate rules and rules without a condition are left out. */
export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  return rules.flatMap((rule) => {
    const condition = compileCondition(rule.condition);
    if (!condition) return [];
    return [
      {
        id: rule.ruleId,
        enabled: rule.enabled,
        effect: rule.effect,
        scopes: new Set(rule.scopes),
        shadow: rule.shadow,
        category: rule.category,
        condition,
      },
    ];
  });
}

function compileCondition(condition: Rule['condition']): ContentCondition | undefined {
  switch (condition.case) {
    case 'wordList':
      return { kind: 'wordList', matcher: compileWordList(condition.value) };
    case 'link':
      return { kind: 'link', matcher: compileLinkRule(condition.value) };
    case 'classifier':
      return {
        kind: 'classifier',
        label: condition.value.label,
        threshold: condition.value.threshold,
      };
    default:
      return undefined;
  }
}

/**
 * A rule's effect in a scope. A help request is only ever flagged by word-list and classifier
 * rules, so a person asking for help is never silenced by them; link rules (scam and malware
 * domains) keep their effect there.
 */
export function effectInScope(rule: CompiledRule, scope: RuleScope): RuleEffect {
  if (scope === RuleScope.HELP_REQUEST && rule.condition.kind !== 'link') return RuleEffect.FLAG;
  return rule.effect;
}

/** The matches of the applicable rules, in rule order, then field order. Never throws. */
export async function evaluateContent(
  rules: readonly CompiledRule[],
  content: Content,
  options: EvaluateOptions,
): Promise<RuleMatch[]> {
  const applicable = rules.filter((rule) => {
    if (!rule.enabled || !rule.scopes.has(content.scope)) return false;
    if (!options.rejectOnly) return true;
    return (
      rule.condition.kind !== 'classifier' &&
      effectInScope(rule, content.scope) === RuleEffect.REJECT
    );
  });
  const fields = content.fields.filter((field) => field.text.trim() !== '');
  const classified = options.rejectOnly
    ? []
    : await classifyFields(applicable, fields, options.classifier);

  const matches: RuleMatch[] = [];
  for (const rule of applicable) {
    for (const [i, { field, text }] of fields.entries()) {
      const detail = matchDetail(rule.condition, text, classified[i]);
      if (detail === undefined) continue;
      matches.push({
        ruleId: rule.id,
        field,
        detail,
        effect: effectInScope(rule, content.scope),
        shadow: rule.shadow,
        category: rule.category,
      });
    }
  }
  return matches;
}

function matchDetail(
  condition: ContentCondition,
  text: string,
  classified: ClassifierResult | undefined,
): string | undefined {
  switch (condition.kind) {
    case 'wordList':
    case 'link':
      return condition.matcher.match(text);
    case 'classifier':
      return classified && !classified.skipped
        ? classifierMatch(condition, classified.scores)
        : undefined;
  }
}

/** One classifier call per field (results by field index), with every applicable label. */
async function classifyFields(
  rules: readonly CompiledRule[],
  fields: readonly ContentField[],
  classifier: Classifier | null,
): Promise<ClassifierResult[]> {
  const labels = [
    ...new Set(
      rules.flatMap((rule) => (rule.condition.kind === 'classifier' ? [rule.condition.label] : [])),
    ),
  ];
  if (!classifier || labels.length === 0) return [];
  return Promise.all(fields.map(({ text }) => classifier.classify(text, labels)));
}
