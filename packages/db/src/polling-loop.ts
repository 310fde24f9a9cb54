/**
 * The loop behind a relay that drains a table: run `pass`, and when it did less than a full
 * batch, sleep `pollMs` (or until `wake()`); `stop()` ends the sleep and waits for the pass in
 * flight. A pass that throws is reported and the loop goes on after the usual pause.
 */
export interface PollingLoop {
  start(): void;
  stop(): Promise<void>;
  /** Runs the next pass now instead of after the pause (e.g. right after a commit). */
  wake(): void;
}

export function createPollingLoop(options: {
  /** One pass; resolves to how many items it handled. */
  pass(): Promise<number>;
  batchSize: number;
  pollMs: number;
  onError(err: unknown): void;
}): PollingLoop {
  let running: Promise<void> | undefined;
  let stopping = false;
  let wakeSleeper: (() => void) | undefined;
  let wakeRequested = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (wakeRequested || stopping) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });

  async function loop(): Promise<void> {
    while (!stopping) {
      wakeRequested = false;
      let handled = 0;
      try {
        handled = await options.pass();
      } catch (err) {
        options.onError(err);
      }
      // A full batch means more is probably waiting: go again without sleeping.
      if (handled < options.batchSize) await sleep(options.pollMs);
    }
  }

  return {
    start() {
      if (running) return;
      stopping = false;
      running = loop();
    },
    async stop() {
      stopping = true;
      wakeSleeper?.();
      await running;
      running = undefined;
    },
    wake() {
      wakeRequested = true;
      wakeSleeper?.();
    },
  };
}
