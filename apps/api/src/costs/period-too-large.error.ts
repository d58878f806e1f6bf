import { type IsoDate, PeriodRefusedError } from '#analytics';

/**
 * The period holds more rows than one read may load as a frame: grouped rows for an aggregation
 * (COST_FRAME_MAX_ROWS), FOCUS rows for a listing (COST_LISTING_FRAME_MAX_ROWS as well; it then
 * pages in the warehouse instead). The repository knows the rows, not which request field set the
 * period: the reader names it (see CostReader). The cost cache keeps the refusal as long as a frame
 * of the period would live (PeriodRefusedError).
 */
export class PeriodTooLargeError extends PeriodRefusedError {
  constructor(
    readonly start: IsoDate,
    readonly end: IsoDate,
    readonly maxRows: number,
    grouped: boolean,
  ) {
    // What was counted: an aggregation's grouped rows (see isGroupedSet), or a listing's FOCUS rows.
    const counted = grouped
      ? 'groups of cost rows (one per day, provider, service, unit, source and, for hierarchy reads, entity)'
      : 'cost rows';
    super(`the period ${start} to ${end} holds more than ${maxRows} ${counted}, the most one read may load`);
  }
}
