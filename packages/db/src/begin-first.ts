import pg from 'pg';

/**
 * A statement that opens its transaction itself: `begin`, as an unnamed statement of its own,
 * goes in the same write as the statement and before the one Sync that ends both (ADR 0032).
 * Postgres runs them in order; an error in either skips the rest up to the Sync, so the
 * statement never runs outside the transaction. `begin`'s CommandComplete is not a result: the
 * caller gets the statement's alone, as from a plain Query.
 */
export class BeginFirst extends (pg.Query as unknown as QueryInternals) {
  #begun = false;

  // Always the extended protocol, even without parameters: a simple query has no place for
  // `begin` before it.
  override requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: BeginFirstConnection): void {
    connection.parse({ text: 'begin', name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [] });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }

  override handleCommandComplete(message: unknown, connection: BeginFirstConnection): void {
    if (!this.#begun) {
      this.#begun = true;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

/** node-pg's Query as BeginFirst extends it: the methods it overrides are not in @types/pg. */
type QueryInternals = new (
  config: pg.QueryConfig,
  callback: (err: Error | undefined, result: unknown) => void,
) => {
  requiresPreparation(): boolean;
  prepare(connection: BeginFirstConnection): void;
  handleCommandComplete(message: unknown, connection: BeginFirstConnection): void;
};

/** The parts of node-pg's connection BeginFirst writes with (not in @types/pg). */
interface BeginFirstConnection {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number }): void;
}
