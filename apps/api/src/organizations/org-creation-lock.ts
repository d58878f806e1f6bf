import { Injectable } from '@nestjs/common';
import { OrgLeases } from '../common/org-lease.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

/**
 * How long a crashed instance keeps an org's creation or removal blocked: the holder renews the
 * lease while it works (onboarding can take minutes on BigQuery), so this only has to outlast a
 * missed renewal or two. After it, the next request finishes an interrupted onboarding.
 */
export const LIFECYCLE_LEASE_SECONDS = 60;
/** How long a lifecycle change waits for the org's configuration writes already running (a few statements each). */
const WRITES_WAIT_MS = 10_000;

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

  /**
   * `hold`, and then, before `work`, the org's configuration writes already running (a locale,
   * subscription or key change: OrgLeases.write) end first; none starts while the lease is held.
   * For the changes that write what those writes write (a removal deletes their rows, a re-sync
   * sets the plan, limits, locale and key): run beside one begun earlier, its last statement could
   * land after theirs (the profile naming one plan, the quotas enforcing another). Writes that do
   * not end within WRITES_WAIT_MS are 409 ORG_CHANGES_IN_PROGRESS, with Retry-After.
   */
  holdQuiesced<T>(org: string, work: () => Promise<T>): Promise<T> {
    return this.hold(org, async () => {
      const running = await this.leases.writesEnded(org, WRITES_WAIT_MS);
      if (running > 0)
        throw new OrganizationsError(
          OrganizationsErrorCode.ChangesInProgress,
          `Changes to '${org}' are still being written; retry in ${running} s.`,
          { headers: { 'Retry-After': String(running) } },
        );
      return work();
    });
  }
}
