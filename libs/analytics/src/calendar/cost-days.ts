import { addDays, type IsoDate, maxDate, minDate, startOfDayIn, todayIn } from './iso-date.js';

/**
 * The two days a cost read goes by. Cost rows are dated by the UTC day of their
 * ChargePeriodStart, while an org's periods (month to date, fiscal quarters and years, the
 * default period) follow its own calendar, in its time zone. West of UTC the running UTC day is
 * ahead of the org's (its rows are being written while the org's today is still the day before);
 * east of UTC it is behind (its rows are still being written after the org's midnight).
 */
export interface CostDays {
  /** Today in the org's time zone: what periods are resolved against. */
  today: IsoDate;
  /** Today in UTC: the day whose cost rows are being written. */
  utcToday: IsoDate;
}

/** The org's today and the UTC day at the instant `epochMs`. */
export function costDaysAt(timeZone: string, epochMs: number): CostDays {
  return { today: todayIn(timeZone, epochMs), utcToday: todayIn('UTC', epochMs) };
}

/**
 * The latest day cost rows can exist for, where periods end at the latest: the org's today, or
 * west of UTC the UTC day already running (capping there at the org's today hid its rows).
 */
export function lastCostDay(days: CostDays): IsoDate {
  return maxDate(days.today, days.utcToday);
}

/**
 * The first day whose costs may still change from one minute to the next: the running UTC day,
 * and west of UTC the org's today before it. A period ending on it or later is live.
 */
export function firstLiveDay(days: CostDays): IsoDate {
  return minDate(days.today, days.utcToday);
}

/**
 * When these days stop being today: the earlier of the org's next midnight and the next UTC
 * midnight. At either one what was resolved against them (a default period, its cap, whether a
 * period is live) may resolve otherwise.
 */
export function costDaysEnd(days: CostDays, timeZone: string): number {
  return Math.min(
    startOfDayIn(timeZone, addDays(days.today, 1)),
    startOfDayIn('UTC', addDays(days.utcToday, 1)),
  );
}
