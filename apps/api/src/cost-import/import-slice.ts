import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/**
 * What an import replaces, besides its source system (and credential, when named): the org's rows
 * of the file's billing periods whose charge period starts on one of the file's charge days (from
 * its first to its last). Billing periods, because a provider's export is one billing period: a
 * December export may carry a correction charged in October, which must replace neither October's
 * rows nor anything between. Charge days within them, because an export of part of a billing
 * period (month to date, or a month split by day) replaces that part only.
 */
export interface ImportSlice {
  /** Earliest and latest ChargePeriodStart, epoch ms. */
  first: number;
  last: number;
  /** The distinct BillingPeriodStart values, epoch ms, ascending. */
  billingPeriods: number[];
}

/** More than this many billing periods in one file (decades of months) is refused: import it in parts. */
export const MAX_BILLING_PERIODS = 1000;

/**
 * More charge days than this from a file's first to its last (11 years) is refused: import it in
 * parts. The swap rewrites every daily partition of the cost table in that span (its rows of the
 * source are deleted there), and BigQuery refuses a statement that modifies more than 4,000
 * partitions: such a file failed its swap after every row was staged, as a storage error.
 */
export const MAX_CHARGE_DAYS = 4000;

const DAY_MS = 86_400_000;

/** Collects an import's slice from its rows' charge and billing period starts. */
export class SliceCollector {
  private first = Infinity;
  private last = -Infinity;
  private readonly periods = new Set<number>();

  add(chargePeriodStart: number, billingPeriodStart: number): void {
    if (chargePeriodStart < this.first) this.first = chargePeriodStart;
    if (chargePeriodStart > this.last) this.last = chargePeriodStart;
    this.periods.add(billingPeriodStart);
  }

  slice(): ImportSlice {
    return checkedSlice({ first: this.first, last: this.last, billingPeriods: [...this.periods] });
  }
}

/** The slice with its billing periods sorted; refused past MAX_BILLING_PERIODS or MAX_CHARGE_DAYS. */
export function checkedSlice(slice: ImportSlice): ImportSlice {
  if (slice.billingPeriods.length > MAX_BILLING_PERIODS)
    throw new CostImportError(
      CostImportErrorCode.RowsInvalid,
      `The file covers ${slice.billingPeriods.length} billing periods (distinct BillingPeriodStart); ` +
        `one import replaces at most ${MAX_BILLING_PERIODS}: import it in parts.`,
    );
  const days = Math.floor(slice.last / DAY_MS) - Math.floor(slice.first / DAY_MS) + 1;
  if (days > MAX_CHARGE_DAYS)
    throw new CostImportError(
      CostImportErrorCode.RowsInvalid,
      `The file's charges span ${days} days (first to last ChargePeriodStart, UTC); one import ` +
        `replaces at most ${MAX_CHARGE_DAYS}: import it in parts.`,
    );
  return { ...slice, billingPeriods: [...slice.billingPeriods].sort((a, b) => a - b) };
}
