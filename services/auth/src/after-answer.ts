import type { Logger } from '@kith/logging';

/**
 * Work a handler does after it has answered: for calls whose answer must not depend on what
 * the work finds (RequestPasswordReset, ResendVerification), so a known address answers exactly
 * as fast as an unknown one. A failure is logged; the caller was never going to learn of it.
 */
export interface AfterAnswer {
  run(name: string, work: () => Promise<void>): void;
  /** Resolves once every piece of work started so far has ended (shutdown, tests). */
  settled(): Promise<void>;
}

export function createAfterAnswer(logger: Logger): AfterAnswer {
  const pending = new Set<Promise<void>>();
  return {
    run(name, work) {
      const done = new Promise<void>((resolve) => {
        // After the current I/O phase: the answer is on the socket before the work begins.
        setImmediate(() => {
          work()
            .catch((err: unknown) =>
              logger.error({ err, work: name }, 'work after the answer failed'),
            )
            .finally(resolve);
        });
      });
      pending.add(done);
      void done.then(() => pending.delete(done));
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
