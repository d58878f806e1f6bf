import { DomainError } from '#platform';

export enum CostImportErrorCode {
  ImportNotFound = 'COST_IMPORT_NOT_FOUND',
  FileTooLarge = 'COST_IMPORT_FILE_TOO_LARGE',
  UnsupportedMediaType = 'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE',
  FileUnreadable = 'COST_IMPORT_FILE_UNREADABLE',
  EmptyFile = 'COST_IMPORT_EMPTY_FILE',
  MissingColumns = 'COST_IMPORT_MISSING_COLUMNS',
  DuplicateColumns = 'COST_IMPORT_DUPLICATE_COLUMNS',
  TooManyParts = 'COST_IMPORT_TOO_MANY_PARTS',
  RowsInvalid = 'COST_IMPORT_ROWS_INVALID',
  OrgNotProvisioned = 'COST_IMPORT_ORG_NOT_PROVISIONED',
  ImportPending = 'COST_IMPORT_PENDING',
  UploadsBusy = 'COST_IMPORT_UPLOADS_BUSY',
  UploadTimeout = 'COST_IMPORT_UPLOAD_TIMEOUT',
  ImportFailed = 'COST_IMPORT_FAILED',
  Interrupted = 'COST_IMPORT_INTERRUPTED',
  OutcomeUnknown = 'COST_IMPORT_OUTCOME_UNKNOWN',
  KeyRevoked = 'COST_IMPORT_KEY_REVOKED',
}

export class CostImportError extends DomainError<CostImportErrorCode> {}

export const COST_IMPORT_ERRORS: Record<CostImportErrorCode, { status: number; title: string }> = {
  [CostImportErrorCode.ImportNotFound]: { status: 404, title: 'Cost import not found' },
  [CostImportErrorCode.FileTooLarge]: { status: 413, title: 'The cost file exceeds the size limit' },
  [CostImportErrorCode.UnsupportedMediaType]: {
    status: 415,
    title: 'Send a FOCUS CSV or Parquet file (optionally gzip-compressed)',
  },
  [CostImportErrorCode.FileUnreadable]: { status: 422, title: 'The cost file could not be read' },
  [CostImportErrorCode.EmptyFile]: { status: 422, title: 'The cost file has no rows' },
  [CostImportErrorCode.MissingColumns]: { status: 422, title: 'Mandatory FOCUS columns are missing' },
  [CostImportErrorCode.DuplicateColumns]: {
    status: 422,
    title: 'Columns of the cost file name the same column',
  },
  [CostImportErrorCode.TooManyParts]: {
    status: 422,
    title: 'The cost file holds too many Parquet parts',
  },
  [CostImportErrorCode.RowsInvalid]: { status: 422, title: 'Rows of the cost file are invalid' },
  [CostImportErrorCode.OrgNotProvisioned]: {
    status: 404,
    title: 'The organization or its cost table does not exist',
  },
  [CostImportErrorCode.ImportPending]: {
    status: 409,
    title: "Another file of the organization is waiting for its import's turn",
  },
  [CostImportErrorCode.UploadTimeout]: {
    status: 408,
    title: 'The upload took longer than the instance gives one to arrive',
  },
  [CostImportErrorCode.UploadsBusy]: {
    status: 503,
    title: 'The instance holds as many cost files as it takes at once',
  },
  [CostImportErrorCode.ImportFailed]: { status: 500, title: 'The cost import failed' },
  [CostImportErrorCode.Interrupted]: { status: 503, title: 'The cost import was interrupted' },
  [CostImportErrorCode.OutcomeUnknown]: {
    status: 500,
    title: 'Whether the cost import replaced the data could not be confirmed',
  },
  [CostImportErrorCode.KeyRevoked]: {
    status: 403,
    title: 'The API key that started the cost import is no longer valid',
  },
};
