/** What is left of a limit; never below 0 (a limit lowered under the usage leaves nothing). */
export const remaining = (limit: number, used: number): number => Math.max(limit - used, 0);

/**
 * Runs that may still start today: a run counts against the day and the month alike, so the
 * month's remainder caps the day's. Reported alone, the day's remainder promised runs the monthly
 * limit refuses (6 left today with the month used up).
 */
export function remainingToday(c: {
  dailyLimit: number;
  dailyUsed: number;
  monthlyLimit: number;
  monthlyUsed: number;
}): number {
  return Math.min(remaining(c.dailyLimit, c.dailyUsed), remaining(c.monthlyLimit, c.monthlyUsed));
}
