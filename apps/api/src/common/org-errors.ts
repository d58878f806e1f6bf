import { DomainError } from '#platform';

/** The org named by a route does not exist or cannot be acted on: one meaning across every module. */
export enum OrgErrorCode {
  NotFound = 'ORG_NOT_FOUND',
  NotActive = 'ORG_NOT_ACTIVE',
  /** A change of the org's configuration while the org is being created or removed. */
  LifecycleInProgress = 'ORG_LIFECYCLE_IN_PROGRESS',
}

export class OrgError extends DomainError<OrgErrorCode> {}

export const ORG_ERRORS: Record<OrgErrorCode, { status: number; title: string }> = {
  [OrgErrorCode.NotFound]: { status: 404, title: 'Organization not found' },
  [OrgErrorCode.NotActive]: { status: 400, title: 'Organization is not active' },
  [OrgErrorCode.LifecycleInProgress]: { status: 409, title: 'Organization is being created or removed' },
};
