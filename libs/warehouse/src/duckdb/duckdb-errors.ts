import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';

const MISSING = /^Catalog Error: (Table|View|Schema|Table Function) with name (\S+) does not exist/;
const CATEGORY = /^([A-Za-z ]+) Error:/;

/**
 * A DuckDB failure as a WarehouseError. DuckDB messages can quote data and suggest other tables
 * ("Did you mean ..."), so the user-facing detail keeps only the kind of failure; the original
 * error stays in `cause` for the logs.
 */
export function toWarehouseError(error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const missing = MISSING.exec(message);
  if (missing) {
    const kind = missing[1] === 'Schema' ? 'Dataset' : missing[1]!;
    return new WarehouseError(WarehouseErrorCode.NotFound, `${kind} ${missing[2]} was not found`, {
      cause: error,
    });
  }
  const category = CATEGORY.exec(message)?.[1] ?? 'Execution';
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Warehouse query failed (${category} error)`, {
    cause: error,
  });
}

/**
 * Two transactions changed the same rows at once (DuckDB's optimistic concurrency): the later one
 * failed as a whole, changing nothing, so a statement run on its own can simply run again.
 */
export function isWriteConflict(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /^TransactionContext Error: .*Conflict/i.test(message);
}

export function closedError(): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.Unavailable, 'The embedded warehouse is closed');
}

export function timeoutError(timeoutMs: number): WarehouseError {
  return new WarehouseError(
    WarehouseErrorCode.Timeout,
    `Warehouse query exceeded its ${timeoutMs} ms timeout`,
  );
}
