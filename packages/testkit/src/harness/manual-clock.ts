/** A clock tests move by hand: time-dependent rules are tested without sleeping. */
export interface ManualClock {
  now(): Date;
  advance(ms: number): void;
  set(date: Date): void;
}

export function manualClock(start = new Date()): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}
