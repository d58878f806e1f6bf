import { DomainError } from '#platform';

export enum ApiKeyErrorCode {
  KeyNotFound = 'API_KEY_NOT_FOUND',
  KeyExists = 'API_KEY_EXISTS',
  KeyOperationInProgress = 'API_KEY_OPERATION_IN_PROGRESS',
  InvalidScope = 'INVALID_SCOPE',
  DevOnly = 'DEV_ONLY',
  KeyRetiring = 'API_KEY_RETIRING',
}

export class ApiKeyError extends DomainError<ApiKeyErrorCode> {}

export const API_KEY_ERRORS: Record<ApiKeyErrorCode, { status: number; title: string }> = {
  [ApiKeyErrorCode.KeyNotFound]: { status: 404, title: 'API key not found' },
  [ApiKeyErrorCode.KeyExists]: { status: 409, title: 'The organization already has an active API key' },
  [ApiKeyErrorCode.KeyOperationInProgress]: {
    status: 409,
    title: "Another request is changing this organization's API key",
  },
  [ApiKeyErrorCode.InvalidScope]: { status: 422, title: 'Unknown API key scope' },
  [ApiKeyErrorCode.DevOnly]: { status: 403, title: 'Only available in development' },
  [ApiKeyErrorCode.KeyRetiring]: { status: 403, title: 'A key being retired cannot rotate' },
};

/** The 409s of every change to an org's keys (OpenAPI): they take turns, and never during the org's removal. */
export const KEY_CHANGE_CONFLICTS =
  "API_KEY_OPERATION_IN_PROGRESS: another change to the org's keys is running (Retry-After); " +
  'ORG_LIFECYCLE_IN_PROGRESS: the org is being created or removed (Retry-After)';

/** The 400 of every route that issues an org's key: a key of an org that is not ACTIVE would never work. */
export const ORG_NOT_ACTIVE_FOR_KEYS =
  "ORG_NOT_ACTIVE: the organization's status is not ACTIVE (its keys are refused)";
