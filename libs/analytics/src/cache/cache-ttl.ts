import { type IsoDate, nextMidnightIn } from '../calendar/iso-date.js';

export const DEFAULT_TODAY_TTL_MS = 60_000;

export interface TtlContext {
  /** Today in the org's time zone. */
  today: IsoDate;
  timeZone: string;
  nowMs: number;
  /** How long a period that includes today stays cached. */
  todayTtlMs: number;
}

/**
 * How long the costs of a period stay cached: a minute when it includes today (today's costs are
 * still arriving); otherwise until the org's next midnight, when "today" — and with it every
 * default period — moves on. For an org without a time zone that is UTC midnight.
 */
export function periodTtlMs(period: { end: IsoDate }, ctx: TtlContext): number {
  if (period.end >= ctx.today) return ctx.todayTtlMs;
  return Math.max(1, nextMidnightIn(ctx.timeZone, ctx.nowMs) - ctx.nowMs);
}
