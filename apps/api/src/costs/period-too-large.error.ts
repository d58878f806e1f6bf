import { type IsoDate, PeriodRefusedError } from '#analytics';

/**
 * The period holds more FOCUS rows than one read may load (COST_FRAME_MAX_ROWS). The repository
 * knows the rows, not which request field set the period: the reader names it (see CostReader).
 * The cost cache keeps the refusal as long as a frame of the period would live (PeriodRefusedError).
 */
export class PeriodTooLargeError extends PeriodRefusedError {
  constructor(
    readonly start: IsoDate,
    readonly end: IsoDate,
    readonly maxRows: number,
  ) {
    super(`the period ${start} to ${end} holds more than ${maxRows} cost rows, the most one read may load`);
  }
}
