import type { Transaction } from 'kysely';
import type { CommitHook, LoggerLike, Trx } from './types.js';

/** Gives a Kysely transaction its `onCommit`, collecting hooks into `hooks`. */
export function withCommitHooks<DB>(trx: Transaction<DB>, hooks: CommitHook[]): Trx<DB> {
  return Object.assign(trx, {
    onCommit(fn: CommitHook) {
      hooks.push(fn);
    },
  });
}

/**
 * Runs every hook in order, each awaited; a failure is logged and the rest still run. Hooks a
 * hook registers (on the same, now committed, transaction) run too, after the others.
 */
export async function runCommitHooks(
  hooks: CommitHook[],
  logger: LoggerLike | undefined,
  schema: string,
): Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    try {
      await hooks[i]!();
    } catch (err) {
      if (logger) logger.error({ err, schema }, 'after-commit work failed');
      else console.error(`[${schema}] after-commit work failed`, err);
    }
  }
  hooks.length = 0;
}
