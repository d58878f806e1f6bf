import type { IsoDate } from '#analytics';

/**
 * The period holds more FOCUS rows than one read may load (COST_FRAME_MAX_ROWS). The repository
 * knows the rows, not which request field set the period: the reader names it (see CostReader).
 */
export class PeriodTooLargeError extends Error {
  constructor(
    readonly start: IsoDate,
    readonly end: IsoDate,
    readonly maxRows: number,
  ) {
    super(`the period ${start} to ${end} holds more than ${maxRows} cost rows, the most one read may load`);
  }
}
