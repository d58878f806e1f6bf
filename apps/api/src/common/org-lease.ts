import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';

const BUSY_RETRY_CAP_SECONDS = 5;

/** What an operation is refused with while another request holds its lease. */
export type LeaseBusyError = (retryAfterSeconds: number) => Error;

/**
 * One request at a time per (org, operation), across every API instance: a lease in the tenancy DB
 * (configs/supabase/migrations/0005_org_leases.sql). The loser is refused at once with the error
 * the caller supplies (a 409 with Retry-After), rather than waiting. The TTL bounds how long a
 * crashed holder blocks the operation; it must exceed the operation's longest run.
 */
@Injectable()
export class OrgLeases {
  private readonly logger = new Logger(OrgLeases.name);

  constructor(@Inject(TENANCY_DB) private readonly db: TenancyDb) {}

  async hold<T>(
    org: string,
    operation: string,
    ttlSeconds: number,
    busy: LeaseBusyError,
    work: () => Promise<T>,
  ): Promise<T> {
    const holder = randomUUID();
    const [claim] = await this.db.rpc<{ claimed: boolean; retry_after_seconds: number | null }>(
      'claim_org_lease',
      { p_org_slug: org, p_operation: operation, p_holder: holder, p_ttl_seconds: ttlSeconds },
    );
    // The live lease's remaining time is only the worst case (a crashed holder); a live holder
    // usually finishes in seconds, so the hint is capped.
    if (!claim?.claimed) throw busy(Math.min(claim?.retry_after_seconds ?? 1, BUSY_RETRY_CAP_SECONDS));
    try {
      return await work();
    } finally {
      // A release that fails leaves the lease to expire: the work's own outcome stands.
      await this.db
        .rpc('release_org_lease', { p_org_slug: org, p_operation: operation, p_holder: holder })
        .catch((err: unknown) =>
          this.logger.warn(`lease ${operation} of '${org}' not released (expires by itself): ${String(err)}`),
        );
    }
  }
}
