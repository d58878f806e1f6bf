import { type IsoDate, PeriodRefusedError } from '#analytics';
import { DomainError, type ProblemSpec } from '#platform';

export enum CostsErrorCode {
  CostRowOutOfRange = 'COST_ROW_OUT_OF_RANGE',
}

export class CostsError extends DomainError<CostsErrorCode> {}

/**
 * The stored costs cannot be read as they are: a failure of the data, not of the request, which
 * only the writer of the rows can mend; logged as an error.
 */
export const COSTS_ERRORS: Record<CostsErrorCode, ProblemSpec> = {
  [CostsErrorCode.CostRowOutOfRange]: { status: 500, title: 'The period holds a cost too large to read' },
};

/**
 * The period holds cost rows whose BilledCost, EffectiveCost or ListCost is 2^63 micro-units or
 * more (9.2 trillion currency units): a read rounds each cost to INT64 micro-units (see
 * cost-frame-sql.ts), which cannot hold it, so no read of the period can sum its costs exactly.
 * Refused, never summed without them. An import refuses a cost of a trillion or more; the
 * pipeline service writes rows without that check. The cost cache keeps the refusal as long as a
 * frame of the period would live (PeriodRefusedError): it stands until the rows are corrected.
 */
export class CostRowOutOfRangeError extends PeriodRefusedError {
  constructor(
    readonly start: IsoDate,
    readonly end: IsoDate,
    readonly rows: number,
  ) {
    super(
      `the period ${start} to ${end} holds ${rows} cost ${rows === 1 ? 'row' : 'rows'} whose BilledCost, ` +
        `EffectiveCost or ListCost is 9,223,372,036,854.775808 or more in absolute value (2^63 ` +
        `micro-units), past what a cost read sums exactly; correct ${rows === 1 ? 'it' : 'them'} ` +
        `where ${rows === 1 ? 'it was' : 'they were'} written`,
    );
  }
}

/** A refusal of the period's costs (CostRowOutOfRangeError) as the client reads it; anything else as it is. */
export function costReadError(error: unknown): unknown {
  if (!(error instanceof CostRowOutOfRangeError)) return error;
  return new CostsError(CostsErrorCode.CostRowOutOfRange, error.message, {
    publicDetail: true,
    extra: { start_date: error.start, end_date: error.end, out_of_range_rows: error.rows },
  });
}
