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

/** Long enough for the answer to reach the socket; short next to any mail delivery. */
const START_DELAY_MS = 20;

export function createAfterAnswer(logger: Logger): AfterAnswer {
  const pending = new Set<Promise<void>>();
  return {
    run(name, work) {
      const done = new Promise<void>((resolve) => {
        // A handler returns before its answer is written (serialisation and the socket write
        // take a few more turns of the event loop): a short timer keeps the work, which shares
        // this thread, out of the answer's way.
        setTimeout(() => {
          work()
            .catch((err: unknown) =>
              logger.error({ err, work: name }, 'work after the answer failed'),
            )
            .finally(resolve);
        }, START_DELAY_MS);
      });
      pending.add(done);
      void done.then(() => pending.delete(done));
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
