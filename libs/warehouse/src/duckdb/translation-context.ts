import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Token } from './sql-tokenizer.js';

/** What a function rule sees of one call `NAME(...)`. */
export interface CallSite {
  /** Upper-case BigQuery function name. */
  readonly name: string;
  readonly tokens: readonly Token[];
  /** Token range between the parentheses. */
  readonly inner: readonly [number, number];
  /** Token ranges of the top-level, comma-separated arguments. */
  readonly argRanges: ReadonlyArray<readonly [number, number]>;
  /** Argument `i`, translated. */
  arg(i: number): string;
  /** All arguments, translated. */
  args(): string[];
  /** Translates an arbitrary token range (inside the call). */
  translate(from: number, to: number): string;
  /** Fails unless the argument count is within [min, max]. */
  arity(min: number, max?: number): void;
}

export type FunctionRule = (call: CallSite) => string;

export function unsupported(construct: string): WarehouseError {
  return new WarehouseError(
    WarehouseErrorCode.UnsupportedSql,
    `BigQuery construct not supported by the embedded warehouse: ${construct}`,
  );
}

export function invalidSql(message: string): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Invalid SQL: ${message}`);
}

/** A rule that first checks the argument count. */
export function withArity(min: number, max: number, build: FunctionRule): FunctionRule {
  return (call) => {
    call.arity(min, max);
    return build(call);
  };
}
