import { DomainError } from '#platform';

export enum AdminPipelinesErrorCode {
  OrgNotFound = 'ORG_NOT_FOUND',
}

export class AdminPipelinesError extends DomainError<AdminPipelinesErrorCode> {}

export const ADMIN_PIPELINES_ERRORS: Record<AdminPipelinesErrorCode, { status: number; title: string }> = {
  [AdminPipelinesErrorCode.OrgNotFound]: { status: 404, title: 'Organization not found' },
};
