import type { ColumnMapping, FocusVersion } from './focus-columns.js';
import type { RowError } from './focus-row-normalizer.js';
import type { FileFormat } from './import-upload.js';

export const IMPORT_STATUSES = [
  'queued',
  'processing',
  'completed',
  'completed_with_errors',
  'failed',
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** `reject`: any bad row refuses the whole file. `skip`: good rows are imported, bad ones reported. */
export const ON_ERROR_MODES = ['reject', 'skip'] as const;
export type OnErrorMode = (typeof ON_ERROR_MODES)[number];

/** Row errors kept per import; the count of rejected rows is always exact. */
export const MAX_REPORTED_ERRORS = 100;

export interface ImportFailure {
  code: string;
  message: string;
}

/** One import, from upload to outcome: the report `GET .../costs/import/:id` returns. */
export interface ImportJob {
  id: string;
  org: string;
  sourceSystem: string;
  credentialId: string;
  onError: OnErrorMode;
  status: ImportStatus;
  format: FileFormat;
  gzip: boolean;
  focusVersion: FocusVersion;
  fileBytes: number;
  rowsRead: number;
  rowsImported: number;
  rowsRejected: number;
  /** Rows of the same source and charge period that the import replaced. */
  rowsReplaced: number;
  /** Whole UTC days covered by the imported rows: [start, end). */
  chargePeriod: { start: string; end: string } | null;
  /** The imported rows' billing periods (BillingPeriodStart, ISO); rows of others were kept. */
  billingPeriods: string[];
  columnMappings: ColumnMapping[];
  ignoredColumns: string[];
  errors: RowError[];
  /** More row errors were found than are kept. */
  errorsTruncated: boolean;
  failure: ImportFailure | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** What an upload says about an import before it runs. */
export type ImportUpload = Pick<
  ImportJob,
  | 'id'
  | 'org'
  | 'sourceSystem'
  | 'credentialId'
  | 'onError'
  | 'format'
  | 'gzip'
  | 'focusVersion'
  | 'fileBytes'
  | 'columnMappings'
  | 'ignoredColumns'
>;

/** A job just received: queued, nothing read yet. */
export function queuedJob(upload: ImportUpload): ImportJob {
  return {
    ...upload,
    status: 'queued',
    rowsRead: 0,
    rowsImported: 0,
    rowsRejected: 0,
    rowsReplaced: 0,
    chargePeriod: null,
    billingPeriods: [],
    errors: [],
    errorsTruncated: false,
    failure: null,
    createdAt: new Date(),
    startedAt: null,
    finishedAt: null,
  };
}

export function recordRowErrors(job: ImportJob, errors: readonly RowError[]): void {
  for (const error of errors) {
    if (job.errors.length >= MAX_REPORTED_ERRORS) {
      job.errorsTruncated = true;
      return;
    }
    job.errors.push(error);
  }
}

export function isFinished(job: ImportJob): boolean {
  return job.status === 'completed' || job.status === 'completed_with_errors' || job.status === 'failed';
}

/** A job as the tenancy DB keeps it (JSON: dates as ISO strings). */
export type StoredImportJob = Omit<ImportJob, 'createdAt' | 'startedAt' | 'finishedAt' | 'billingPeriods'> & {
  /** Absent from reports stored before billing periods were recorded. */
  billingPeriods?: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

/** The job as JSON data; the drivers serialize it at once, so nested values are not copied. */
export function storedJob(job: ImportJob): StoredImportJob {
  return {
    ...job,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export function jobFromStored(stored: StoredImportJob): ImportJob {
  return {
    ...stored,
    // Reports stored before billing periods were recorded.
    billingPeriods: stored.billingPeriods ?? [],
    createdAt: new Date(stored.createdAt),
    startedAt: stored.startedAt === null ? null : new Date(stored.startedAt),
    finishedAt: stored.finishedAt === null ? null : new Date(stored.finishedAt),
  };
}
