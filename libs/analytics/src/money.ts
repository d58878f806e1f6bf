/**
 * Money inside the analytics is a number of integer nano-units (1 = 0.000000001 of the currency),
 * the scale of BigQuery's NUMERIC (9 decimals). The warehouse converts each FOCUS cost to nano-units
 * once, on load, exactly (a NUMERIC has no more decimals), so every sum is an exact integer sum: no
 * float error accumulates over a million rows, and no per-row rounding either (in micro-units, a
 * GenAI line item of 0.0000014 counted as 0.000001: 30,000 of them summed to 0.03 instead of 0.04).
 * Polars sums them as 64-bit integers; a sum reaches JavaScript as a number, exact up to 2^53
 * nano-units (about 9 million currency units) and within a few nano-units beyond, far below a cent.
 *
 * Rounding to cents happens once, at the edge (`toMoney`), half away from zero: 0.125 → 0.13 and
 * −0.125 → −0.13, as accountants and BigQuery's ROUND(NUMERIC) do (not JavaScript's Math.round,
 * which rounds −0.5 up, nor Python's round, which rounds half to even).
 */
export type Nanos = number;

export const NANOS_PER_UNIT = 1_000_000_000;
const NANOS_PER_CENT = 10_000_000;

/** Cents of `nanos`, half away from zero; `%` is exact for integers below 2^53. */
function centsOf(nanos: Nanos): number {
  const abs = Math.abs(nanos);
  const rest = abs % NANOS_PER_CENT;
  const whole = (abs - rest) / NANOS_PER_CENT;
  const cents = whole + (rest >= NANOS_PER_CENT / 2 ? 1 : 0);
  return nanos < 0 ? -cents : cents;
}

/** Nano-units → currency units with 2 decimals, half away from zero. Never returns −0. */
export function toMoney(nanos: Nanos): number {
  if (!Number.isFinite(nanos)) return 0;
  const cents = centsOf(nanos);
  return cents === 0 ? 0 : cents / 100;
}

/** Nano-units → currency units at full (9 decimal) precision, for raw rows. */
export function nanosToUnits(nanos: Nanos): number {
  return nanos / NANOS_PER_UNIT;
}

/** Currency units → nano-units, half away from zero (test factories and fixtures). */
export function unitsToNanos(units: number): Nanos {
  const scaled = Math.abs(units) * NANOS_PER_UNIT;
  const rounded = Math.floor(scaled + 0.5 + 1e-7);
  return units < 0 ? -rounded : rounded;
}

/** `value` to 2 decimals, half away from zero (percentages and other ratios). */
export function round2(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const hundredths = Math.floor(Math.abs(value) * 100 + 0.5 + 1e-9);
  const signed = value < 0 ? -hundredths : hundredths;
  return signed === 0 ? 0 : signed / 100;
}

/** Share of `part` in `total` in percent, 2 decimals; 0 when the total is not positive. */
export function percentage(part: Nanos, total: Nanos): number {
  return total > 0 ? round2((part * 100) / total) : 0;
}

/**
 * Percent change from `previous` to `current`: 100 from nothing to something, 0 from nothing to
 * nothing. Divides by |previous| so that a rise is positive even after a period of net credits.
 */
export function percentChange(current: Nanos, previous: Nanos): number {
  if (previous === 0) return current > 0 ? 100 : 0;
  return round2(((current - previous) / Math.abs(previous)) * 100);
}
