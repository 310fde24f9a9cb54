/**
 * Trigrams as pg_trgm makes them, computed here so search runs the same on Postgres and on
 * PGlite (which is started without extensions): lower-cased words of letters and digits, each
 * padded with two spaces in front and one behind, cut into every run of three characters.
 * "Ann" → "  a", " an", "ann", "nn ". Stored in `text[]` columns with a GIN index; a query
 * matches a profile by how many of its own trigrams the profile shares.
 */
export function trigramsOf(text: string): string[] {
  const grams = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (!word) continue;
    const padded = `  ${word} `;
    const chars = Array.from(padded);
    for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(''));
  }
  return [...grams].sort();
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
