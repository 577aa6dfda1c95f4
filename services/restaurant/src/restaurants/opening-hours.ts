/**
 * Opening hours are local wall-clock times in the restaurant's IANA time zone: one entry per open
 * period, `{ day: 0-6 (Sunday = 0), open: "HH:MM", close: "HH:MM" | "24:00" }`, close after open.
 * Hours past midnight are two entries: Friday 18:00–24:00 and Saturday 00:00–02:00. Times are
 * zero-padded, so comparing them as strings orders them correctly ("24:00" after every other time).
 */
export interface OpeningPeriod {
  day: number;
  open: string;
  close: string;
}

const supportedZones = new Set(Intl.supportedValuesOf('timeZone'));

/** Whether `zone` is an IANA zone this runtime (and so PostgreSQL's copy of the same database) knows. */
export function isValidTimeZone(zone: string): boolean {
  if (supportedZones.has(zone) || zone === 'UTC') return true;
  try {
    // Aliases (e.g. "Asia/Calcutta") are valid but absent from the canonical list.
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone.includes('/');
  } catch {
    return false;
  }
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterFor = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
};

interface LocalTime {
  readonly day: number;
  readonly time: string;
}

/**
 * The last local time worked out per zone, with the minute it is for: a page of restaurants asks for the
 * same zone and minute over and over, and today's zone offsets are whole minutes, so one minute reads the same
 * throughout.
 */
const lastLocalTime = new Map<string, { minute: number; local: LocalTime }>();

/** The weekday (Sunday = 0) and "HH:MM" wall-clock time at `at` in `zone`. */
export function localTime(at: Date, zone: string): LocalTime {
  const minute = Math.floor(at.getTime() / 60_000);
  const last = lastLocalTime.get(zone);
  if (last?.minute === minute) return last.local;
  const parts = formatterFor(zone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const local = { day: WEEKDAYS[part('weekday')] ?? 0, time: `${part('hour')}:${part('minute')}` };
  lastLocalTime.set(zone, { minute, local });
  return local;
}

/** Whether `at` falls inside one of the periods, read in `zone`. */
export function isWithinHours(hours: OpeningPeriod[], zone: string, at: Date): boolean {
  const { day, time } = localTime(at, zone);
  return hours.some((period) => period.day === day && period.open <= time && time < period.close);
}

/** Periods of one day that overlap, as "day N: A–B overlaps C–D" messages; empty when none do. */
export function overlappingPeriods(hours: OpeningPeriod[]): string[] {
  const problems: string[] = [];
  const sorted = [...hours].sort((a, b) => a.day - b.day || a.open.localeCompare(b.open));
  for (let i = 1; i < sorted.length; i += 1) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (previous && current && previous.day === current.day && current.open < previous.close) {
      problems.push(`day ${current.day}: ${previous.open}–${previous.close} overlaps ${current.open}–${current.close}`);
    }
  }
  return problems;
}
