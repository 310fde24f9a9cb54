import { EventEmitter } from 'node:events';

/** A dependency the process needs to serve traffic (database, bus, cache). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  /** Why the process is not ready: `draining`, `not ready`, or the failed check names. */
  failed: string[];
}

export interface HealthStateOptions {
  /**
   * How long one run of the dependency checks answers every probe (`/readyz`, grpc Check and
   * Watch alike), so a flood of probes costs one round trip per dependency per period.
   * Default 1000 ms; 0 runs them per probe (concurrent probes still share a run).
   */
  cacheMs?: number;
  /** Monotonic milliseconds; tests inject one. */
  now?: () => number;
}

/**
 * Readiness shared by `/readyz` and grpc.health.v1: the runtime's ready flag, the drain flag and
 * the dependency checks, each bounded by a timeout so one hung dependency cannot hang probes.
 * The flags are read on every probe; the checks' outcome is shared for `cacheMs`.
 */
export class HealthState {
  private ready = true;
  private draining = false;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private lastRun: { startedAt: number; failed: Promise<string[]> } | undefined;
  /** Emits 'change' whenever the ready or drain flag flips (health Watch streams listen). */
  readonly events = new EventEmitter();

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly checkTimeoutMs: number,
    options: HealthStateOptions = {},
  ) {
    this.events.setMaxListeners(0);
    this.cacheMs = options.cacheMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.events.emit('change');
  }

  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.events.emit('change');
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<ReadinessReport> {
    if (this.draining) return { ready: false, failed: ['draining'] };
    if (!this.ready) return { ready: false, failed: ['not ready'] };
    const failed = await this.dependencyFailures();
    return { ready: failed.length === 0, failed: [...failed] };
  }

  /** One run of every check, shared while it is in flight and for `cacheMs` after it started. */
  private dependencyFailures(): Promise<string[]> {
    const at = this.now();
    const last = this.lastRun;
    if (last && (at - last.startedAt < this.cacheMs || !this.settled.has(last.failed))) {
      return last.failed;
    }
    const failed = Promise.all(
      this.checks.map(async (c) => ((await this.run(c)) ? undefined : c.name)),
    ).then((results) => results.filter((name): name is string => name !== undefined));
    void failed.then(() => this.settled.add(failed));
    this.lastRun = { startedAt: at, failed };
    return failed;
  }

  /** Runs that have finished (a run still in flight is joined whatever its age). */
  private readonly settled = new WeakSet<Promise<string[]>>();

  private async run(check: ReadinessCheck): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.checkTimeoutMs);
    });
    try {
      return await Promise.race([check.check().then(() => true as const), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
