import { isIsoDate } from '#analytics';
import { isoInstant } from '../common/iso-instant.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The UTC day of a stored timestamp, as the subscription routes and the validator show a trial's
 * end; null for none. What a Date cannot hold as a day (`infinity`, a year past 9999, written by
 * hand on the org's row) is passed on as stored: new Date(...).toISOString() threw, a 500 (for the
 * validator, after the run's slot had been reserved).
 */
export const dayOrNull = (s: string | null | undefined): string | null => {
  if (!s) return null;
  const day = isoInstant(s).slice(0, 10);
  return DATE_ONLY.test(day) ? day : s;
};
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-](\d{2}):?(\d{2}))$/;
const EPOCH = /^\d{1,13}$/;
/** Below this an epoch value is taken as seconds, above as milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11;
const LAST_DAY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Epoch 0: no trial ends before it (a year 0000 is not a date the tenancy DB can store). */
const FIRST_DAY_MS = 0;

/**
 * The UTC day (YYYY-MM-DD) a trial ends, from what Stripe webhooks and the dashboard send: a date,
 * an ISO date-time with Z or an offset, or epoch seconds or milliseconds. null when unreadable.
 */
export function parseTrialEndDate(value: unknown): string | null {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    ms = value < SECONDS_LIMIT ? value * 1000 : value;
  } else if (typeof value === 'string') {
    const s = value.trim();
    const time = DATE_TIME.exec(s);
    if (DATE_ONLY.test(s)) ms = isIsoDate(s) ? Date.parse(`${s}T00:00:00Z`) : Number.NaN;
    else if (time) ms = isClockTime(time) ? Date.parse(s) : Number.NaN;
    else if (EPOCH.test(s)) ms = Number(s) < SECONDS_LIMIT ? Number(s) * 1000 : Number(s);
    else return null;
  } else return null;
  // From 1970 to the year 9999: a date outside (or past what a Date holds) is not a trial's end.
  if (Number.isNaN(ms) || ms < FIRST_DAY_MS || ms > LAST_DAY_MS) return null;
  return new Date(ms).toISOString().slice(0, 10);
}

/** A date-time whose day is a calendar day and whose time and offset are a clock's (no 24:00). */
function isClockTime([
  ,
  day,
  hours,
  minutes,
  seconds = '0',
  ,
  ,
  offsetHours = '0',
  offsetMinutes = '0',
]: RegExpExecArray): boolean {
  return (
    isIsoDate(day) &&
    Number(hours) <= 23 &&
    Number(minutes) <= 59 &&
    Number(seconds) <= 59 &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59
  );
}
