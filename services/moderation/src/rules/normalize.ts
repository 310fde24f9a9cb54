// Text normalisation shared by the content rules, so that what a reader sees is what is
// matched: compatibility forms (full-width letters, ligatures) are folded by NFKC, invisible
// characters inserted to split a word ("ba\u200Bd") are removed, and case is folded.

/**
 * Default-ignorable code points: zero-width space and joiners (U+200B–U+200D), word joiner
 * (U+2060), BOM (U+FEFF), soft hyphen, bidi controls, variation selectors, Hangul fillers and
 * tag characters. Unicode defines them as rendering invisibly, which is why they evade matching.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Removes invisible characters, then applies NFKC (again after, as NFKC may produce some). */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').replace(INVISIBLE, '');
}

/**
 * Folds text for case-insensitive matching: NFKC without invisible characters, lower-cased,
 * with the full case folding of ß ("ss") that lower-casing lacks. Matching regexes also use the
 * `i` flag, which adds Unicode simple case folding (final sigma, Cherokee).
 */
export function foldText(text: string): string {
  return stripInvisible(text).toLowerCase().replace(/ß/g, 'ss');
}

/** Escapes a literal for a regex built with the `u` or `v` flag. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
