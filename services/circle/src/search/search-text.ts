/**
 * Text as search compares it: accents stripped (NFKD without combining marks), lower case.
 * Kept in the rows, so the same SQL runs on PGlite (no unaccent, no pg_trgm) and Postgres.
 */
export function searchable(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The stored search columns of a circle's name and description. */
export function searchColumns(name: string, description: string) {
  return { search_name: searchable(name), search_text: searchable(`${name}\n${description}`) };
}

/** The words of a query (letters and digits), at most 8. */
export function queryWords(query: string): string[] {
  return searchable(query)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 8);
}

/** A LIKE pattern matching `word` anywhere, with LIKE's own characters taken literally. */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
