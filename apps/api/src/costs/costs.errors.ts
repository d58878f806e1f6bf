import { DomainError } from '#platform';

export enum CostsErrorCode {
  /** Same code, status and title as the organizations module: one meaning across the API. */
  OrgNotFound = 'ORG_NOT_FOUND',
}

export class CostsError extends DomainError<CostsErrorCode> {}

export const COSTS_ERRORS: Record<CostsErrorCode, { status: number; title: string }> = {
  [CostsErrorCode.OrgNotFound]: { status: 404, title: 'Organization not found' },
};
