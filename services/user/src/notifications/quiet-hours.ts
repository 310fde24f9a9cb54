/** A daily window of minutes after local midnight (kith.common.v1.DailyWindow). */
export interface QuietWindow {
  startMinute: number;
  endMinute: number;
  timeZone: string;
}

function localMinute(now: Date, timeZone: string): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(now);
    const hour = Number(parts.find((p) => p.type === 'hour')?.value);
    const minute = Number(parts.find((p) => p.type === 'minute')?.value);
    if (!Number.isFinite(hour) || !Number.isFinite(minute)) return undefined;
    return hour * 60 + minute;
  } catch {
    return undefined; // an unknown zone name
  }
}

/**
 * Whether `now` falls in the window, read in the window's own time zone, else in `fallbackZone`
 * (the user's settings), else UTC. The window wraps past midnight when end < start; start ==
 * end means all day.
 */
export function inQuietWindow(window: QuietWindow, now: Date, fallbackZone: string): boolean {
  const minute =
    localMinute(now, window.timeZone || fallbackZone || 'UTC') ??
    localMinute(now, fallbackZone || 'UTC') ??
    localMinute(now, 'UTC')!;
  const { startMinute: start, endMinute: end } = window;
  if (start === end) return true;
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;
}
