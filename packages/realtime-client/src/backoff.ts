/** Reconnect delays: exponential growth, capped, with jitter so clients cut off together (a
 * deploy drains every socket of a replica at once) do not come back together. */
export interface BackoffSettings {
  /** Floor of every delay, and the base the growth starts from. */
  minDelayMs: number;
  /** Ceiling of every delay. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { minDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0 = the first after a connection was lost): drawn
 * uniformly between minDelayMs and min(maxDelayMs, minDelayMs · 2^(attempt + 1)). The window is
 * never empty, so even the first attempts of many clients spread out ("full jitter" above a
 * floor: the floor keeps a flapping network from turning into a busy loop).
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const { minDelayMs, maxDelayMs } = settings;
  const floor = Math.max(0, Math.min(minDelayMs, maxDelayMs));
  // Exponent capped: 2^31 times any sane floor is past every ceiling already.
  const ceiling = Math.min(maxDelayMs, floor * 2 ** Math.min(attempt + 1, 31));
  return Math.round(floor + random() * Math.max(0, ceiling - floor));
}
