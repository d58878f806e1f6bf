import { type CostDays, costDaysAt, costDaysEnd, firstLiveDay } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';

export const DEFAULT_TODAY_TTL_MS = 60_000;

/** The org's today and the UTC day the period was resolved against (see CostDays), and the clock. */
export interface TtlContext extends CostDays {
  timeZone: string;
  nowMs: number;
  /** How long a live period stays cached. */
  todayTtlMs: number;
}

/**
 * How long the costs of a period stay cached: a minute when it may still change (it ends on or
 * after the first live day: the running UTC day, whose rows are still arriving, and the org's
 * today when that is earlier); otherwise until the earlier of the org's next midnight and the
 * next UTC midnight, when "today" — and with it every default period and its cap — moves on.
 * Neither outlives the days it was resolved against: a live period's minute is cut short at
 * that midnight too, since its results were computed against them (month to date and run rates
 * of a range ending today: right after midnight on the 1st the month they counted is over).
 */
export function periodTtlMs(period: { end: IsoDate }, ctx: TtlContext): number {
  // Also the end of the days it was resolved against: a result computed from a month to date (and
  // run rates) of a day that ended while it loaded is not kept into the next one.
  const daysEnd = Math.min(
    costDaysEnd(ctx, ctx.timeZone),
    costDaysEnd(costDaysAt(ctx.timeZone, ctx.nowMs), ctx.timeZone),
  );
  const untilDaysEnd = Math.max(1, daysEnd - ctx.nowMs);
  if (period.end >= firstLiveDay(ctx)) return Math.min(ctx.todayTtlMs, untilDaysEnd);
  return untilDaysEnd;
}
