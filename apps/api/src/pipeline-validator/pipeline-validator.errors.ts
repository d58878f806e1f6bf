import { DomainError } from '#platform';

export enum PipelineValidatorErrorCode {
  PipelineNotFound = 'PIPELINE_NOT_FOUND',
  CredentialsForbidden = 'CREDENTIALS_FORBIDDEN',
}

export class PipelineValidatorError extends DomainError<PipelineValidatorErrorCode> {}

export const PIPELINE_VALIDATOR_ERRORS: Record<
  PipelineValidatorErrorCode,
  { status: number; title: string }
> = {
  [PipelineValidatorErrorCode.PipelineNotFound]: { status: 404, title: 'Pipeline not found' },
  [PipelineValidatorErrorCode.CredentialsForbidden]: {
    status: 403,
    title: 'Decrypted credentials are for the pipeline service only',
  },
};
