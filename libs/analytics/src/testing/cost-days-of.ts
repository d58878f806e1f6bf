import type { CostDays } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';

/** The days of an org in UTC on `today` (specs only): its today is the UTC day. */
export const inUtc = (today: IsoDate): CostDays => ({ today, utcToday: today });
