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

/**
 * Readiness shared by `/readyz` and grpc.health.v1: the runtime's ready flag, the drain flag and
 * the dependency checks, each bounded by a timeout so one hung dependency cannot hang probes.
 */
export class HealthState {
  private ready = true;
  private draining = false;
  /** Emits 'change' whenever the ready or drain flag flips (health Watch streams listen). */
  readonly events = new EventEmitter();

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly checkTimeoutMs: number,
  ) {
    this.events.setMaxListeners(0);
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
    const results = await Promise.all(
      this.checks.map(async (c) => ((await this.run(c)) ? undefined : c.name)),
    );
    const failed = results.filter((name): name is string => name !== undefined);
    return { ready: failed.length === 0, failed };
  }

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
