/**
 * Money inside the analytics is a number of micro-units (1 = 0.000001 of the currency). The
 * warehouse splits each FOCUS NUMERIC, exactly, into its rounded micro-units and the nano-units the
 * rounding left out (a NUMERIC has 9 decimals); a sum adds both (`moneySum`), so it is exact: no
 * float error accumulates over a million rows, and no per-row rounding either (30,000 GenAI line
 * items of 0.0000014 are 0.042, not 0.03). A sum is micro-units with a fraction, exact up to 2^53
 * micro-units (about 9 billion currency units), beyond which the error is still far below a cent.
 *
 * Rounding to cents happens once, at the edge (`toMoney`), half away from zero: 0.125 → 0.13 and
 * −0.125 → −0.13, as accountants and BigQuery's ROUND(NUMERIC) do (not JavaScript's Math.round,
 * which rounds −0.5 up, nor Python's round, which rounds half to even).
 */
export type Micros = number;

export const MICROS_PER_UNIT = 1_000_000;
/** Nano-units: a row's exact cost when listed (its micro-units and the rest they left out). */
export const NANOS_PER_UNIT = 1_000_000_000;
const MICROS_PER_CENT = 10_000;

/**
 * Cents of `micros`, half away from zero; `%` keeps this exact for integers below 2^53. Past it (a
 * Float64 sum of over 9 billion currency units) `abs - rest` is rounded to a Float64 again and the
 * division may leave a fraction: the cents are rounded to whole ones (a no-op below 2^53).
 */
function centsOf(micros: Micros): number {
  const abs = Math.abs(micros);
  const rest = abs % MICROS_PER_CENT;
  const whole = Math.round((abs - rest) / MICROS_PER_CENT);
  const cents = whole + (rest >= MICROS_PER_CENT / 2 ? 1 : 0);
  return micros < 0 ? -cents : cents;
}

/** Micro-units → currency units with 2 decimals, half away from zero. Never returns −0. */
export function toMoney(micros: Micros): number {
  if (!Number.isFinite(micros)) return 0;
  const cents = centsOf(micros);
  return cents === 0 ? 0 : cents / 100;
}

/**
 * `micros` rounded to whole cents, half away from zero, still in micro-units: for a figure derived
 * from another one as shown (the annual forecast is 12 × the monthly one in cents).
 */
export function roundToCents(micros: Micros): Micros {
  if (!Number.isFinite(micros)) return 0;
  const cents = centsOf(micros);
  return cents === 0 ? 0 : cents * MICROS_PER_CENT;
}

/**
 * Nano-units → currency units: the nearest number to the 9-decimal value, as a listed row shows it.
 * A number below 2^53 is divided (correctly rounded); past it (a row over ~9 million currency
 * units), the exact bigint is written as its decimal and parsed (a Float64 quotient is off in its
 * last digits: 999,999,999,999.5 came out as 999999999999.5001).
 */
export function nanosToUnits(nanos: number | bigint): number {
  if (typeof nanos === 'number') return nanos / NANOS_PER_UNIT;
  const abs = nanos < 0n ? -nanos : nanos;
  const fraction = String(abs % 1_000_000_000n).padStart(9, '0');
  return Number(`${nanos < 0n ? '-' : ''}${abs / 1_000_000_000n}.${fraction}`);
}

/** The difference of two nano-unit amounts (see nanosToUnits), exact. */
export function nanosMinus(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number' && Math.abs(a) < 2 ** 52 && Math.abs(b) < 2 ** 52)
    return a - b;
  return BigInt(a) - BigInt(b);
}

/**
 * A money figure as integers: its micro-units and the nano-units they left out (see
 * moneyPartsOf). Integers add exactly (below 2^53), so figures summed or subtracted as parts, and
 * made one figure once (`partsToMicros`), are exact as a sum in the frame is.
 */
export interface MoneyParts {
  micros: number;
  nanos: number;
}

export const NO_MONEY: Readonly<MoneyParts> = { micros: 0, nanos: 0 };

export function addParts(a: MoneyParts, b: MoneyParts): MoneyParts {
  return { micros: a.micros + b.micros, nanos: a.nanos + b.nanos };
}

export function subtractParts(a: MoneyParts, b: MoneyParts): MoneyParts {
  return { micros: a.micros - b.micros, nanos: a.nanos - b.nanos };
}

/** The figure in micro-units, as moneySum gives a sum in the frame. */
export function partsToMicros(parts: MoneyParts): Micros {
  return parts.micros + parts.nanos / 1000;
}

/** Micro-units → currency units at full (6 decimal) precision, for raw rows. */
export function microsToUnits(micros: Micros): number {
  return micros / MICROS_PER_UNIT;
}

/** Currency units → micro-units, half away from zero (test factories and fixtures). */
export function unitsToMicros(units: number): Micros {
  const scaled = Math.abs(units) * MICROS_PER_UNIT;
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
export function percentage(part: Micros, total: Micros): number {
  return total > 0 ? round2((part * 100) / total) : 0;
}

/**
 * Percent change from `previous` to `current`: 100 from nothing to something, 0 from nothing to
 * nothing. Divides by |previous| so that a rise is positive even after a period of net credits.
 */
export function percentChange(current: Micros, previous: Micros): number {
  if (previous === 0) return current > 0 ? 100 : 0;
  return round2(((current - previous) / Math.abs(previous)) * 100);
}
