import type { DomainError } from '#platform';
import { TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { WarehouseError, WarehouseErrorCode } from '#warehouse';

const OUTAGES = new Set<string>([
  TenancyDbErrorCode.Unavailable,
  TenancyDbErrorCode.Timeout,
  WarehouseErrorCode.Unavailable,
  WarehouseErrorCode.Timeout,
]);

/**
 * A change of an org stopped because an engine did not answer (down, or too slow: a failover, a
 * lock), not because it refused the write, and it is safe to send again (taken back whole, or
 * made to be run again): the engine's own 503 or 504 with `detail` and `extra`, so that the caller
 * sends it again later, rather than a 500 that reads as a bug to report. Null for any other cause.
 * Onboarding and the admin create (creation-rollback.ts), subscription updates and offboarding.
 */
export function engineOutage(
  cause: unknown,
  detail: string,
  extra: Record<string, unknown>,
): DomainError | null {
  const options = { cause, extra, publicDetail: true };
  if (cause instanceof TenancyDbError && OUTAGES.has(cause.code))
    return new TenancyDbError(cause.code, detail, options);
  if (cause instanceof WarehouseError && OUTAGES.has(cause.code))
    return new WarehouseError(cause.code, detail, options);
  return null;
}
