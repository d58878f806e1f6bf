/** A calendar date as `YYYY-MM-DD`; the warehouse's DATE text and the API's date format. */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/** True for a real calendar date in `YYYY-MM-DD` form (2025-02-30 is not one). */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function dateParts(date: IsoDate): DateParts {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`Not an ISO date: ${JSON.stringify(date)}`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/**
 * Days since 1970-01-01 of a (year, month, day); a day or month past its range carries over, as
 * with Date.UTC, but years 0–99 are those years (Date.UTC reads them as 1900–1999). Integer
 * arithmetic on the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y0 = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function isoDate(year: number, month: number, day: number): IsoDate {
  return fromDayNumber(daysFromCivil(year, month, day));
}

/** Days since 1970-01-01 (Polars' physical value of a Date). */
export function toDayNumber(date: IsoDate): number {
  const { year, month, day } = dateParts(date);
  return daysFromCivil(year, month, day);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The date `days` after 1970-01-01, for years 1–9999: integer arithmetic on the proleptic
 * Gregorian calendar (H. Hinnant's civil_from_days), several times cheaper than formatting a Date,
 * and every cost read resolves its period through it.
 */
export function fromDayNumber(days: number): IsoDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** The same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const { year, month, day } = dateParts(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  return isoDate(y, m, Math.min(day, daysInMonth(y, m)));
}

export function startOfMonth(date: IsoDate): IsoDate {
  const { year, month } = dateParts(date);
  return isoDate(year, month, 1);
}

export function endOfMonth(date: IsoDate): IsoDate {
  const { year, month } = dateParts(date);
  return isoDate(year, month, daysInMonth(year, month));
}

/** The Monday on or before `date`. */
export function startOfWeek(date: IsoDate): IsoDate {
  const days = toDayNumber(date);
  // 1970-01-01 was a Thursday: (days + 3) mod 7 counts days since Monday.
  return fromDayNumber(days - ((((days + 3) % 7) + 7) % 7));
}

export function minDate(a: IsoDate, b: IsoDate): IsoDate {
  return a <= b ? a : b;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** A time zone the runtime knows, else UTC: a bad profile value must not break every read. */
export function safeTimeZone(timeZone: string | null | undefined): string {
  if (!timeZone) return 'UTC';
  try {
    formatterFor(timeZone);
    return timeZone;
  } catch {
    return 'UTC';
  }
}

/** Wall-clock fields of the instant `epochMs` in `timeZone`. */
function wallClock(
  epochMs: number,
  timeZone: string,
): DateParts & { hour: number; minute: number; second: number } {
  const values: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs)))
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  return {
    year: values.year!,
    month: values.month!,
    day: values.day!,
    hour: values.hour!,
    minute: values.minute!,
    second: values.second!,
  };
}

function calendarDateIn(timeZone: string, epochMs: number): IsoDate {
  const w = wallClock(epochMs, timeZone);
  return isoDate(w.year, w.month, w.day);
}

/** Per time zone, the day last asked for and the instants it spans: most calls fall inside it. */
const currentDays = new Map<string, { date: IsoDate; from: number; to: number }>();

/**
 * The calendar date at the instant `epochMs` in `timeZone`. Every cost read asks for today, and
 * Intl formatting costs microseconds a call: the day's span is kept and answers until it ends.
 */
export function todayIn(timeZone: string, epochMs: number): IsoDate {
  const known = currentDays.get(timeZone);
  if (known && epochMs >= known.from && epochMs < known.to) return known.date;
  const date = calendarDateIn(timeZone, epochMs);
  const from = startOfDayIn(timeZone, date);
  const to = startOfDayIn(timeZone, addDays(date, 1));
  if (epochMs >= from && epochMs < to) currentDays.set(timeZone, { date, from, to });
  return date;
}

/** Offset of `timeZone` from UTC at `epochMs`, in ms (positive east of Greenwich). */
function offsetMs(timeZone: string, epochMs: number): number {
  const w = wallClock(epochMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The first instant of `date` in `timeZone` (the next existing one when a DST jump skips midnight). */
export function startOfDayIn(timeZone: string, date: IsoDate): number {
  const midnightUtc = toDayNumber(date) * DAY_MS;
  let guess = midnightUtc - offsetMs(timeZone, midnightUtc);
  // The offset at the guess can differ from the one at UTC midnight across a DST change.
  guess = midnightUtc - offsetMs(timeZone, guess);
  // Where a DST jump skips midnight the guess lands on the evening before: step to the first instant.
  for (let step = 0; step < 8 && calendarDateIn(timeZone, guess) < date; step++) guess += QUARTER_HOUR_MS;
  return guess;
}

/** The next midnight after `epochMs` in `timeZone`, as epoch ms. */
export function nextMidnightIn(timeZone: string, epochMs: number): number {
  return startOfDayIn(timeZone, addDays(todayIn(timeZone, epochMs), 1));
}
