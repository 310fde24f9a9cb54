import {
  AliasNode,
  DummyDriver,
  IdentifierNode,
  JoinNode,
  ListNode,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SchemableIdentifierNode,
  TableNode,
  UsingNode,
  WithSchemaPlugin,
} from 'kysely';
import { assertSchemaName } from './database-handle.js';
import type {
  AggregateFunctionNode,
  CompiledQuery,
  Dialect,
  FunctionNode,
  OperationNode,
  QueryId,
  ReferencesNode,
  RootOperationNode,
  SelectModifierNode,
} from 'kysely';

/** The root nodes Kysely's WithSchemaTransformer collects table names at. */
const ROOT_KINDS = new Set<string>([
  'AlterTableNode',
  'CreateIndexNode',
  'CreateSchemaNode',
  'CreateTableNode',
  'CreateTypeNode',
  'CreateViewNode',
  'RefreshMaterializedViewNode',
  'DeleteQueryNode',
  'DropIndexNode',
  'DropSchemaNode',
  'DropTableNode',
  'DropTypeNode',
  'DropViewNode',
  'InsertQueryNode',
  'RawNode',
  'SelectQueryNode',
  'UpdateQueryNode',
  'MergeQueryNode',
]);

/** Functions whose table arguments are row values, never schema-qualified (as the transformer). */
const SCHEMALESS_FUNCTIONS = new Set(['json_agg', 'to_json']);

/** Distinct statements checked against the plugin per compiler before checking stops. */
const MAX_CHECKED = 10_000;

type Node = OperationNode & Record<string, unknown>;

/**
 * Postgres SQL with the service's schema written into the table names while compiling, the
 * same text Kysely's `withSchema` produces. `withSchema` rewrites the whole operation tree
 * before every compile (WithSchemaTransformer: every node cloned and frozen again), which cost
 * about 40 % of building and compiling a query (53 of 131 µs for a ListMyCircles-shaped
 * statement in `pnpm bench:sql`; ADR 0027). This compiler makes the same decisions during the one walk the compiler
 * does anyway: a table named in a statement's FROM, JOIN, INTO, UPDATE, USING or name is
 * qualified wherever it is referenced inside that statement, CTE names never, FOREIGN KEY
 * references always, and neither the tables of `for update of` nor row arguments of `json_agg`
 * and `to_json`.
 *
 * Each distinct statement is compiled the plugin's way once as well and compared (ADR 0027):
 * a difference uses the plugin's text, is reported once, and throws under `strict` (the tests).
 */
export class SchemaQualifyingCompiler extends PostgresQueryCompiler {
  readonly #schema: IdentifierNode;
  readonly #ids = new Set<string>();
  readonly #ctes = new Set<string>();
  /** TableNodes left unqualified (for update of, json_agg/to_json arguments). */
  readonly #bare = new WeakSet<object>();
  #forceSchema = false;
  readonly #check: StatementCheck;

  constructor(schema: string, check: StatementCheck) {
    super();
    this.#schema = IdentifierNode.create(schema);
    this.#check = check;
    const visit = this.visitNode;
    // The base class's one dispatcher (a readonly field): every statement, nested ones too,
    // passes through here.
    (this as unknown as { visitNode: (node: OperationNode) => void }).visitNode = (node) => {
      if (!ROOT_KINDS.has(node.kind)) {
        visit(node);
        return;
      }
      const ctes = this.#collectCtes(node as Node);
      for (const cte of ctes) this.#ctes.add(cte);
      const ids = this.#collectIds(node as Node);
      for (const id of ids) this.#ids.add(id);
      try {
        visit(node);
      } finally {
        for (const id of ids) this.#ids.delete(id);
        for (const cte of ctes) this.#ctes.delete(cte);
      }
    };
  }

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    const compiled = super.compileQuery(node, queryId);
    return this.#check(compiled, node, queryId);
  }

  protected override visitSchemableIdentifier(node: SchemableIdentifierNode): void {
    if (
      !node.schema &&
      (this.#forceSchema || this.#ids.has(node.identifier.name)) &&
      !this.#bare.has(this.parentNode as object)
    ) {
      this.visitNode(this.#schema);
      this.append('.');
      this.visitNode(node.identifier);
      return;
    }
    super.visitSchemableIdentifier(node);
  }

  protected override visitReferences(node: ReferencesNode): void {
    // The transformer qualifies a foreign key's table whatever the statement names.
    const outer = this.#forceSchema;
    this.#forceSchema = true;
    try {
      super.visitReferences(node);
    } finally {
      this.#forceSchema = outer;
    }
  }

  protected override visitSelectModifier(node: SelectModifierNode): void {
    for (const item of node.of ?? []) this.#leaveBare(item);
    super.visitSelectModifier(node);
  }

  protected override visitFunction(node: FunctionNode): void {
    if (SCHEMALESS_FUNCTIONS.has(node.func)) for (const arg of node.arguments) this.#leaveBare(arg);
    super.visitFunction(node);
  }

  protected override visitAggregateFunction(node: AggregateFunctionNode): void {
    if (SCHEMALESS_FUNCTIONS.has(node.func)) {
      for (const arg of node.aggregated) this.#leaveBare(arg);
    }
    super.visitAggregateFunction(node);
  }

  /** A TableNode without a schema of its own is written as named. */
  #leaveBare(node: OperationNode): void {
    if (TableNode.is(node) && !node.table.schema) this.#bare.add(node);
  }

  #collectCtes(node: Node): Set<string> {
    const ctes = new Set<string>();
    const withNode = node.with as { expressions: { name: { table: TableNode } }[] } | undefined;
    for (const expr of withNode?.expressions ?? []) {
      const id = expr.name.table.table.identifier.name;
      if (!this.#ctes.has(id)) ctes.add(id);
    }
    return ctes;
  }

  #collectIds(node: Node): Set<string> {
    const ids = new Set<string>();
    const name = node.name as OperationNode | undefined;
    if (name && SchemableIdentifierNode.is(name)) this.#collectId(name, ids);
    const from = node.from as { froms: OperationNode[] } | undefined;
    for (const item of from?.froms ?? []) this.#collectFromTableExpr(item, ids);
    if (node.into) this.#collectFromTableExpr(node.into as OperationNode, ids);
    if (node.table) this.#collectFromTableExpr(node.table as OperationNode, ids);
    for (const join of (node.joins as JoinNode[] | undefined) ?? []) {
      this.#collectFromTableExpr(join.table, ids);
    }
    const using = node.using as OperationNode | undefined;
    if (using) {
      this.#collectFromTableExpr(JoinNode.is(using) ? using.table : using, ids);
    }
    return ids;
  }

  #collectFromTableExpr(node: OperationNode, ids: Set<string>): void {
    if (TableNode.is(node)) this.#collectId(node.table, ids);
    else if (AliasNode.is(node) && TableNode.is(node.node)) this.#collectId(node.node.table, ids);
    else if (ListNode.is(node))
      for (const item of node.items) this.#collectFromTableExpr(item, ids);
    else if (UsingNode.is(node)) {
      for (const table of node.tables) this.#collectFromTableExpr(table, ids);
    }
  }

  #collectId(node: SchemableIdentifierNode, ids: Set<string>): void {
    const id = node.identifier.name;
    if (!this.#ids.has(id) && !this.#ctes.has(id)) ids.add(id);
  }
}

/** Returns the statement to run: `compiled`, or the plugin's text when they differ. */
export type StatementCheck = (
  compiled: CompiledQuery,
  node: RootOperationNode,
  queryId: QueryId,
) => CompiledQuery;

export interface SchemaCompilerOptions {
  /** Throw on a difference from the plugin instead of using its text (default: in tests). */
  strict?: boolean;
  /** Where a difference is reported (once per statement). */
  onMismatch?: (ours: string, plugin: string) => void;
}

/**
 * Compares each distinct statement once with what `withSchema(schema)` writes for its node:
 * the same text runs as is from then on; a different one is reported once and replaced by the
 * plugin's text every time (or throws, under `strict`).
 */
export function pluginCheck(schema: string, options: SchemaCompilerOptions = {}): StatementCheck {
  const strict = options.strict ?? isTestRun();
  const report =
    options.onMismatch ??
    ((ours: string, plugin: string) =>
      console.error(`[${schema}] schema compiler differs from withSchema:\n${ours}\n${plugin}`));
  // Our text → null when it matched, else the plugin's text.
  const checked = new Map<string, string | null>();
  const plugin = new WithSchemaPlugin(schema);
  return (compiled, node, queryId) => {
    const known = checked.get(compiled.sql);
    if (known === null) return compiled;
    if (known !== undefined) return { ...compiled, sql: known };
    if (checked.size >= MAX_CHECKED) return compiled;
    const expected = new PostgresQueryCompiler().compileQuery(
      plugin.transformQuery({ node, queryId }),
      queryId,
    );
    if (expected.sql === compiled.sql) {
      checked.set(compiled.sql, null);
      return compiled;
    }
    if (strict) {
      throw new Error(
        `[${schema}] schema compiler differs from withSchema:\n${compiled.sql}\n${expected.sql}`,
      );
    }
    report(compiled.sql, expected.sql);
    checked.set(compiled.sql, expected.sql);
    return { ...compiled, sql: expected.sql };
  };
}

/**
 * `dialect` with its query compiler replaced by a SchemaQualifyingCompiler for `schema`: the
 * Kysely built on it needs no `withSchema`.
 */
export function schemaQualifiedDialect(
  dialect: Dialect,
  schema: string,
  options: SchemaCompilerOptions = {},
): Dialect {
  assertSchemaName(schema);
  const check = pluginCheck(schema, options);
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => dialect.createDriver(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => new SchemaQualifyingCompiler(schema, check),
  };
}

function isTestRun(): boolean {
  return process.env.VITEST !== undefined || process.env.KITH_SQL_CHECK === 'strict';
}

/**
 * Postgres SQL without a database: a Kysely on it builds and compiles queries (`compile()`) and
 * runs none (executing answers no rows). For subqueries built ahead and SQL read in tests.
 */
export function compileOnlyDialect(): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
