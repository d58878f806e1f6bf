import { Injectable } from '@nestjs/common';
import { OrgLeases } from '../common/org-lease.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

/** Onboarding creates a dataset and its tables: minutes on BigQuery at worst. */
const LIFECYCLE_LEASE_SECONDS = 900;

/**
 * One creation or removal per org slug at a time, across every instance: two concurrent
 * onboardings of the same slug would both pass the "does it exist" check and then fight over the
 * same rows. The loser gets 409 at once rather than waiting (Idempotency-Key retries already get
 * 409 from the idempotency layer while the first request runs).
 */
@Injectable()
export class OrgCreationLock {
  constructor(private readonly leases: OrgLeases) {}

  hold<T>(org: string, work: () => Promise<T>): Promise<T> {
    return this.leases.hold(
      org,
      'lifecycle',
      LIFECYCLE_LEASE_SECONDS,
      (retryAfter) =>
        new OrganizationsError(
          OrganizationsErrorCode.OnboardingInProgress,
          `Organization '${org}' is being created or removed by another request; retry shortly.`,
          { headers: { 'Retry-After': String(retryAfter) } },
        ),
      work,
    );
  }
}
