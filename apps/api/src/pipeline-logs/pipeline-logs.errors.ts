import { DomainError } from '#platform';

export enum PipelineLogsErrorCode {
  RunNotFound = 'PIPELINE_RUN_NOT_FOUND',
  RunNotRetryable = 'PIPELINE_RUN_NOT_RETRYABLE',
}

export class PipelineLogsError extends DomainError<PipelineLogsErrorCode> {}

export const PIPELINE_LOGS_ERRORS: Record<PipelineLogsErrorCode, { status: number; title: string }> = {
  [PipelineLogsErrorCode.RunNotFound]: { status: 404, title: 'Pipeline run not found' },
  [PipelineLogsErrorCode.RunNotRetryable]: { status: 400, title: 'Pipeline run cannot be retried' },
};
