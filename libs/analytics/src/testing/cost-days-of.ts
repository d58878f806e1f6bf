import type { CostDays } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';
import type { FramePeriod } from '../cache/cost-cache.types.js';

/** The days of an org in UTC on `today` (specs only): its today is the UTC day. */
export const inUtc = (today: IsoDate): CostDays => ({ today, utcToday: today });

/** The cache specs' clock: noon UTC on 2025-03-10. */
export const MARCH_10_CLOCK = { now: () => Date.parse('2025-03-10T12:00:00Z') };

/** A period read by an org in UTC on 2025-03-10, MARCH_10_CLOCK's day (specs only). */
export const periodReadOnMarch10 = (start: IsoDate, end: IsoDate): FramePeriod => ({
  start,
  end,
  ...inUtc('2025-03-10'),
  timeZone: 'UTC',
});
