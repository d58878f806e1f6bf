import { within } from '#platform';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

/** Rejects with TenancyDbError(Timeout) when `work` has not settled within `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return within(
    work,
    ms,
    () => new TenancyDbError(TenancyDbErrorCode.Timeout, 'The tenancy database did not answer in time.'),
  );
}
