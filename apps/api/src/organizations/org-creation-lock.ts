import { Injectable } from '@nestjs/common';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

/**
 * One creation per org slug at a time in this instance: two concurrent onboardings of the same
 * slug would both pass the "does it exist" check and then fight over the same rows. The loser
 * gets 409 at once rather than waiting (Idempotency-Key retries already get 409 from the
 * idempotency layer while the first request runs).
 */
@Injectable()
export class OrgCreationLock {
  private readonly held = new Set<string>();

  async hold<T>(org: string, work: () => Promise<T>): Promise<T> {
    if (this.held.has(org))
      throw new OrganizationsError(
        OrganizationsErrorCode.OnboardingInProgress,
        `Organization '${org}' is being created by another request; retry shortly.`,
        { headers: { 'Retry-After': '5' } },
      );
    this.held.add(org);
    try {
      return await work();
    } finally {
      this.held.delete(org);
    }
  }
}
