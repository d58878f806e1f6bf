import { DomainError } from '#platform';

export enum ApiKeyErrorCode {
  OrgNotFound = 'ORG_NOT_FOUND',
  OrgNotActive = 'ORG_NOT_ACTIVE',
  KeyNotFound = 'API_KEY_NOT_FOUND',
  KeyExists = 'API_KEY_EXISTS',
  KeyOperationInProgress = 'API_KEY_OPERATION_IN_PROGRESS',
  InvalidScope = 'INVALID_SCOPE',
  DevOnly = 'DEV_ONLY',
}

export class ApiKeyError extends DomainError<ApiKeyErrorCode> {}

export const API_KEY_ERRORS: Record<ApiKeyErrorCode, { status: number; title: string }> = {
  [ApiKeyErrorCode.OrgNotFound]: { status: 404, title: 'Organization not found' },
  [ApiKeyErrorCode.OrgNotActive]: { status: 400, title: 'Organization is not active' },
  [ApiKeyErrorCode.KeyNotFound]: { status: 404, title: 'API key not found' },
  [ApiKeyErrorCode.KeyExists]: { status: 409, title: 'The organization already has an active API key' },
  [ApiKeyErrorCode.KeyOperationInProgress]: {
    status: 409,
    title: "Another request is changing this organization's API key",
  },
  [ApiKeyErrorCode.InvalidScope]: { status: 422, title: 'Unknown API key scope' },
  [ApiKeyErrorCode.DevOnly]: { status: 403, title: 'Only available in development' },
};
