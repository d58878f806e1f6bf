import type { Row } from '#warehouse';
import { type ColumnPlan, COST_COLUMNS } from './focus-columns.js';
import { type Converter, converterFor, isAbsent, toCost, ValueProblem } from './focus-values.js';

/** One problem of one row; `row` counts data rows from 1 (a CSV header is not a row). */
export interface RowError {
  row: number;
  column: string | null;
  message: string;
}

export type NormalizedRow =
  | { ok: true; row: Row; chargePeriodStart: number; billingPeriodStart: number }
  | { ok: false; errors: RowError[] };

const CURRENCY = /^[A-Z]{3}$/;

/**
 * Why a row in another currency is refused: the cost reads add every row of the org and show the
 * total in its currency, so a JPY row among USD ones would be counted as dollars.
 */
export const otherCurrency = (given: string, reporting: string) =>
  `is ${given}; the organization reports its costs in ${reporting} and adds every row as such: ` +
  `convert the costs to ${reporting}, or change the organization's currency first`;

interface Cell {
  name: string;
  /** The column a row error names: the file's own (FOCUS 1.2 ProviderName, not the successor it feeds). */
  reported: string;
  source: number;
  required: boolean;
  convert: Converter;
}

/**
 * Turns one file row into a table row: every fed column converted to its type, mandatory columns
 * present. All problems of a row are reported, not only the first. Lineage is not added here: it
 * is the same for every row, so the swap writes it once as statement parameters.
 */
export class FocusRowNormalizer {
  private readonly cells: Cell[];

  /** `currency`: the org's reporting currency, the only BillingCurrency its cost reads can add up. */
  constructor(
    private readonly plan: ColumnPlan,
    private readonly currency: string,
  ) {
    const renamed = new Map(plan.mappings.map((m) => [m.to, m.from]));
    this.cells = plan.fed.map((c) => ({
      ...c,
      reported: renamed.get(c.name) ?? c.name,
      convert: COST_COLUMNS.has(c.name) ? toCost : converterFor(c.type),
    }));
  }

  normalize(values: readonly unknown[], rowNumber: number): NormalizedRow {
    if (values.length !== this.plan.width) {
      const message = `has ${values.length} fields; the header has ${this.plan.width}`;
      return { ok: false, errors: [{ row: rowNumber, column: null, message }] };
    }
    const row: Row = {};
    let errors: RowError[] | null = null;
    const fail = (column: string, message: string) => {
      // A FOCUS 1.2 cell feeds two columns (ProviderName and its successor): its problem once.
      if (errors?.some((e) => e.column === column && e.message === message)) return;
      (errors ??= []).push({ row: rowNumber, column, message });
    };
    for (const cell of this.cells) {
      const raw = values[cell.source];
      if (isAbsent(raw)) {
        if (cell.required) fail(cell.reported, 'is required');
        else row[cell.name] = null;
        continue;
      }
      try {
        row[cell.name] = cell.convert(raw);
      } catch (error) {
        if (!(error instanceof ValueProblem)) throw error;
        fail(cell.reported, error.message);
      }
    }
    if (errors) return { ok: false, errors };
    return this.checkRow(row, rowNumber);
  }

  /** Rules across columns, checked once each value has its type. */
  private checkRow(row: Row, rowNumber: number): NormalizedRow {
    const errors: RowError[] = [];
    const start = row.ChargePeriodStart as Date;
    const end = row.ChargePeriodEnd as Date;
    if (end.getTime() < start.getTime())
      errors.push({ row: rowNumber, column: 'ChargePeriodEnd', message: 'is before ChargePeriodStart' });
    const billingStart = row.BillingPeriodStart as Date;
    const billingEnd = row.BillingPeriodEnd as Date;
    if (billingEnd.getTime() < billingStart.getTime())
      errors.push({ row: rowNumber, column: 'BillingPeriodEnd', message: 'is before BillingPeriodStart' });
    const currency = row.BillingCurrency as string;
    if (!CURRENCY.test(currency))
      errors.push({
        row: rowNumber,
        column: 'BillingCurrency',
        message: 'expected an ISO 4217 code such as USD',
      });
    else if (currency !== this.currency)
      errors.push({
        row: rowNumber,
        column: 'BillingCurrency',
        message: otherCurrency(currency, this.currency),
      });
    if (errors.length) return { ok: false, errors };
    return { ok: true, row, chargePeriodStart: start.getTime(), billingPeriodStart: billingStart.getTime() };
  }
}
