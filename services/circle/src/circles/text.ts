import type { FieldViolation } from '@kith/errors';
import { InvalidArgumentError } from '@kith/errors';
import type { StoredRule } from '../db/schema.js';

// Control characters: none in a name or a rule title; descriptions and rule bodies may break
// lines.
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_NEWLINE = /[^\P{Cc}\n]/u;

/** Refuses control characters in a circle's texts, a violation per field. */
export function requirePlainText(input: {
  name?: string;
  description?: string;
  rules?: readonly StoredRule[];
  rulesField?: string;
}): void {
  const violations: FieldViolation[] = [];
  if (input.name !== undefined && CONTROL.test(input.name)) {
    violations.push({ field: 'name', message: 'must be a single line of text' });
  }
  if (input.description !== undefined && CONTROL_BUT_NEWLINE.test(input.description)) {
    violations.push({ field: 'description', message: 'must be plain text' });
  }
  input.rules?.forEach((rule, i) => {
    const field = `${input.rulesField ?? 'rules'}[${i}]`;
    if (CONTROL.test(rule.title)) {
      violations.push({ field: `${field}.title`, message: 'must be a single line of text' });
    }
    if (CONTROL_BUT_NEWLINE.test(rule.body)) {
      violations.push({ field: `${field}.body`, message: 'must be plain text' });
    }
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
}
