import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import {
  InvalidPageTokenError,
  type CursorValue,
  type PageCursor,
  type PageTokenCodec,
} from './page-token.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A list's page sizes: public lists use 20 and 100; internal ones may allow more. */
export interface PageSizes {
  default: number;
  max: number;
}

const PUBLIC_PAGE_SIZES: PageSizes = { default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE };

/**
 * 0 or unset means the default (20); anything above the maximum (100) is clamped (validation
 * rejects it first).
 */
export function normalizePageSize(
  size: number | undefined,
  sizes: PageSizes = PUBLIC_PAGE_SIZES,
): number {
  if (size === undefined || !Number.isFinite(size) || size <= 0) return sizes.default;
  return Math.min(Math.floor(size), sizes.max) || sizes.default;
}

export interface KeysetColumn {
  /** Column reference as in the query, e.g. `created_at` or `p.created_at`. */
  ref: string;
  direction: 'asc' | 'desc';
}

export interface PaginateOptions {
  /**
   * The sort key, most significant first; the LAST column is the unique id tiebreaker
   * (UUIDv7, so it also follows creation time). Every value must survive a round trip through
   * JS exactly: a `timestamptz` keyset column needs millisecond precision (`timestamptz(3)`),
   * since a JS Date drops the microseconds and the page boundary would skip rows.
   */
  columns: readonly KeysetColumn[];
  pageSize: number;
  /** Where the previous page ended; undefined for the first page. */
  cursor?: PageCursor | undefined;
  /** Default and maximum page size; the public ones (20, 100) when unset. */
  sizes?: PageSizes;
}

function cursorValues(columns: readonly KeysetColumn[], cursor: PageCursor): CursorValue[] {
  // A token signed for another sort shape cannot be applied to this one.
  if (cursor.keys.length !== columns.length - 1) throw new InvalidPageTokenError('malformed');
  return [...cursor.keys, cursor.id];
}

/** Rows strictly after the cursor in the given order. */
function afterCursor(columns: readonly KeysetColumn[], values: CursorValue[]): Expression<SqlBool> {
  const refs = columns.map((c) => sql.ref(c.ref));
  const first = columns[0]!.direction;
  if (columns.every((c) => c.direction === first)) {
    // One row comparison, which a matching composite index serves directly.
    const op = sql.raw(first === 'desc' ? '<' : '>');
    return sql<SqlBool>`(${sql.join(refs)}) ${op} (${sql.join(values.map((v) => sql.val(v)))})`;
  }
  // Mixed directions: c1 ≷ v1 OR (c1 = v1 AND (c2 ≷ v2 OR …)).
  let expr: Expression<SqlBool> | undefined;
  for (let i = columns.length - 1; i >= 0; i--) {
    const op = sql.raw(columns[i]!.direction === 'desc' ? '<' : '>');
    const here = sql<SqlBool>`${refs[i]} ${op} ${values[i]}`;
    expr = expr ? sql<SqlBool>`(${here} or (${refs[i]} = ${values[i]} and ${expr}))` : here;
  }
  return expr!;
}

/**
 * Applies keyset pagination: the predicate after `cursor`, ORDER BY the columns, and LIMIT
 * pageSize + 1 so `toPage` can tell whether another page exists. The query must not have its
 * own ORDER BY or LIMIT.
 */
export function paginate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: PaginateOptions,
): SelectQueryBuilder<DB, TB, O> {
  const { columns, cursor } = options;
  if (columns.length < 1) throw new Error('paginate needs at least the id column');
  let q = query;
  if (cursor) q = q.where(afterCursor(columns, cursorValues(columns, cursor)));
  for (const column of columns) q = q.orderBy(sql.ref(column.ref), column.direction);
  return q.limit(normalizePageSize(options.pageSize, options.sizes) + 1);
}

export interface Page<T> {
  items: T[];
  /** Present when more rows follow; encode it into the next page token. */
  nextCursor?: PageCursor;
}

/** Cuts the pageSize + 1 rows fetched by `paginate` into a page and the cursor of its last item. */
export function toPage<T>(
  rows: readonly T[],
  pageSize: number,
  cursorOf: (row: T) => PageCursor,
  sizes?: PageSizes,
): Page<T> {
  const size = normalizePageSize(pageSize, sizes);
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  if (rows.length <= size || last === undefined) return { items };
  return { items, nextCursor: cursorOf(last) };
}

export interface FetchPageOptions<O> {
  columns: readonly KeysetColumn[];
  /** The request's page size (0 = default) and page token ('' = first page). */
  pageSize: number;
  pageToken: string;
  /** Default and maximum page size; the public ones (20, 100) when unset. */
  sizes?: PageSizes;
  codec: PageTokenCodec;
  /** The query the token may be replayed against: method, filters and caller. */
  binding: string;
  /** The sort-key values of a row (without its id), as in `columns`. */
  keysOf(row: O): CursorValue[];
  idOf(row: O): string;
}

/**
 * One page of a keyset-paginated list, from page token to next page token: decodes and checks
 * the token against `binding`, runs the query with `paginate`, and signs the next cursor.
 */
export async function fetchPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: FetchPageOptions<O>,
): Promise<{ items: O[]; nextPageToken: string }> {
  const { codec, binding } = options;
  const cursor = options.pageToken ? codec.decode(options.pageToken, binding) : undefined;
  const rows = await paginate(query, {
    columns: options.columns,
    pageSize: options.pageSize,
    cursor,
    sizes: options.sizes,
  }).execute();
  const page = toPage(
    rows,
    options.pageSize,
    (row) => ({ keys: options.keysOf(row), id: options.idOf(row) }),
    options.sizes,
  );
  return {
    items: page.items,
    nextPageToken: page.nextCursor ? codec.encode(page.nextCursor, binding) : '',
  };
}

/** Newest first, the order of most lists: `created_at desc, id desc`. */
export const NEWEST_FIRST: readonly KeysetColumn[] = [
  { ref: 'created_at', direction: 'desc' },
  { ref: 'id', direction: 'desc' },
];
