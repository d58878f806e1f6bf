import { DomainError } from '#platform';

export enum IdempotencyErrorCode {
  KeyReused = 'IDEMPOTENCY_KEY_REUSED',
  RequestInProgress = 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
}

export class IdempotencyError extends DomainError<IdempotencyErrorCode> {}

export const IDEMPOTENCY_ERRORS: Record<IdempotencyErrorCode, { status: number; title: string }> = {
  [IdempotencyErrorCode.KeyReused]: {
    status: 422,
    title: 'Idempotency key already used for a different request',
  },
  [IdempotencyErrorCode.RequestInProgress]: {
    status: 409,
    title: 'A request with this idempotency key is still in progress',
  },
};
