import { Injectable } from '@nestjs/common';
import { OrgLeases } from '../common/org-lease.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

/**
 * How long a crashed instance keeps an org's creation or removal blocked: the holder renews the
 * lease while it works (onboarding can take minutes on BigQuery), so this only has to outlast a
 * missed renewal or two. After it, the next request finishes an interrupted onboarding.
 */
const LIFECYCLE_LEASE_SECONDS = 60;

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
