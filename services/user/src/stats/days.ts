/** One UTC day in milliseconds. */
export const DAY_MS = 86_400_000;

/** The UTC day number (days since 1970-01-01) of an instant. */
export function dayOf(at: Date | number): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / DAY_MS);
}

/** Midnight UTC that starts a day number. */
export function startOfDay(day: number): Date {
  return new Date(day * DAY_MS);
}
