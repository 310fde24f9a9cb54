import { AsyncLocalStorage } from 'node:async_hooks';

/** Raised when the single PGlite session cannot be had: misuse inside a transaction, or a stall. */
export class SessionLockError extends Error {
  override readonly name = 'SessionLockError';
}

/** Marks an async context that currently holds the session through `Database.transaction`. */
export interface SessionHolder {
  holding: boolean;
}

interface Waiter {
  grant: (release: () => void) => void;
  timer?: NodeJS.Timeout;
}

/**
 * A FIFO mutex over PGlite's one session. A Kysely "connection" is the right to use the
 * session; a transaction keeps it from BEGIN to COMMIT so nobody else's statements land
 * inside it. Waiting is bounded so that code which queries outside its `trx` while a
 * transaction is open fails with a message instead of hanging forever.
 */
export class SessionLock {
  readonly #acquireTimeoutMs: number;
  #held = false;
  readonly #queue: Waiter[] = [];
  /** Set by `Database.transaction` so nested misuse is reported at once, not after a timeout. */
  readonly holders = new AsyncLocalStorage<SessionHolder>();

  constructor(acquireTimeoutMs: number) {
    this.#acquireTimeoutMs = acquireTimeoutMs;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Resolves with a release function once the session is ours. */
  acquire(timeoutMs: number = this.#acquireTimeoutMs): Promise<() => void> {
    if (this.holders.getStore()?.holding) {
      return Promise.reject(
        new SessionLockError(
          'PGlite session is held by the transaction running in this async context: ' +
            'inside database.transaction(fn) query through `trx`, not `database.db`, and do not nest transactions',
        ),
      );
    }
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          reject(
            new SessionLockError(
              `waited ${timeoutMs} ms for the PGlite session; a transaction may be querying ` +
                'outside its `trx` (deadlock) or holding the session too long',
            ),
          );
        }, timeoutMs);
      }
      this.#queue.push(waiter);
    });
  }

  /** Runs `fn` while holding the session. */
  async run<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
    const release = await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (!next) {
        this.#held = false;
        return;
      }
      clearTimeout(next.timer);
      next.grant(this.#releaser());
    };
  }
}
