import { DomainError } from '#platform';

export enum OrganizationsErrorCode {
  OrgExists = 'ORG_EXISTS',
  DatasetExists = 'DATASET_EXISTS',
  OnboardingInProgress = 'ONBOARDING_IN_PROGRESS',
  OnboardingFailed = 'ONBOARDING_FAILED',
  ChangesInProgress = 'ORG_CHANGES_IN_PROGRESS',
  OrgCreationFailed = 'ORG_CREATION_FAILED',
  OffboardingFailed = 'OFFBOARDING_FAILED',
  ConfirmationMismatch = 'CONFIRM_ORG_SLUG_MISMATCH',
  SubscriptionUpdateFailed = 'SUBSCRIPTION_UPDATE_FAILED',
}

export class OrganizationsError extends DomainError<OrganizationsErrorCode> {}

/** The 409 of a route under the org's lifecycle lease (OrgCreationLock.hold). */
export const LIFECYCLE_CONFLICT =
  'ONBOARDING_IN_PROGRESS: the organization is being created or removed by another request (Retry-After)';

/** The 409 of a route under OrgCreationLock.holdQuiesced: the lease, then the org's running writes. */
export const QUIESCED_CONFLICTS =
  `${LIFECYCLE_CONFLICT}; ` +
  "ORG_CHANGES_IN_PROGRESS: the org's locale, subscription or key changes are still being written (Retry-After)";

/** The 409 of an org configuration write (OrgLeases.write). */
export const CONFIG_WRITE_CONFLICT =
  'ORG_LIFECYCLE_IN_PROGRESS: the organization is being created or removed (Retry-After)';

/** The 409 of a route that first clears an earlier org of the slug. */
export const DATASET_CONFLICT =
  'DATASET_EXISTS: a dataset of an earlier organization of this slug still exists';

export const ORGANIZATIONS_ERRORS: Record<OrganizationsErrorCode, { status: number; title: string }> = {
  [OrganizationsErrorCode.OrgExists]: { status: 409, title: 'Organization already exists' },
  [OrganizationsErrorCode.DatasetExists]: {
    status: 409,
    title: 'A dataset of an earlier organization with this slug exists',
  },
  [OrganizationsErrorCode.OnboardingInProgress]: {
    status: 409,
    title: 'This organization is being onboarded by another request',
  },
  [OrganizationsErrorCode.OnboardingFailed]: { status: 500, title: 'Onboarding failed' },
  [OrganizationsErrorCode.ChangesInProgress]: {
    status: 409,
    title: 'Changes to this organization are still being written',
  },
  [OrganizationsErrorCode.OrgCreationFailed]: { status: 500, title: 'Organization creation failed' },
  [OrganizationsErrorCode.OffboardingFailed]: { status: 500, title: 'Offboarding failed' },
  [OrganizationsErrorCode.ConfirmationMismatch]: {
    status: 400,
    title: 'confirm_org_slug does not match the organization in the path',
  },
  [OrganizationsErrorCode.SubscriptionUpdateFailed]: { status: 500, title: 'Subscription update failed' },
};
