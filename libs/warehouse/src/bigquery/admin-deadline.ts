import { within } from '#platform';
import { DeadlineExceeded } from './bigquery-errors.js';

/** The metadata calls that change something: past their deadline they may still take effect. */
const CHANGES = /\.(insert|patch|delete)$/;

/**
 * `call`, refused with DeadlineExceeded when it has not settled within `ms`. The client library
 * puts no time limit on a metadata request (and retries a failed one with backoff), so an endpoint
 * that stops answering would otherwise hold bootstrap, onboarding, the import's table checks and
 * the readiness probe for as long as it stalls. The request itself is left to end on its own.
 */
export function withinDeadline<T>(operation: string, call: Promise<T>, ms: number): Promise<T> {
  return within(call, ms, () => new DeadlineExceeded(ms, CHANGES.test(operation)));
}
