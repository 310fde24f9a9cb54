import type { Transaction } from 'kysely';
import type { CommitHook, LoggerLike, Trx } from './types.js';

/**
 * Gives a Kysely transaction its `onCommit` and `notifyOnCommit`, collecting hooks into `hooks`
 * and each topic's details into `topics`.
 */
export function withCommitHooks<DB>(
  trx: Transaction<DB>,
  hooks: CommitHook[],
  topics: Map<string, Set<unknown>>,
): Trx<DB> {
  return Object.assign(trx, {
    onCommit(fn: CommitHook) {
      hooks.push(fn);
    },
    notifyOnCommit(topic: string, detail?: unknown) {
      let details = topics.get(topic);
      if (!details) topics.set(topic, (details = new Set()));
      if (detail !== undefined) details.add(detail);
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
