/** The p-th percentile of an ascending array (nearest rank); NaN when empty. */
export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** A named sample's count, p50, p99 and max (NaN when empty), for a bench's table rows. */
export function latencyStats(name: string, samples: number[]) {
  const sorted = Float64Array.from(samples).sort();
  return {
    name,
    n: samples.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}
