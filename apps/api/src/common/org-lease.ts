import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TENANCY_DB, type TenancyDb, TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { OrgError, OrgErrorCode } from './org-errors.js';

const BUSY_RETRY_CAP_SECONDS = 5;
/** How often a queued caller asks for the lease again. */
const QUEUE_POLL_MS = 1_000;
/** A configuration write takes a few statements; a crashed writer delays the org's removal this long. */
const WRITE_LEASE_SECONDS = 30;
/** How often a removal asks whether the writes it waits for have ended. */
const WRITES_POLL_MS = 100;
/**
 * Pauses before a failed release is tried again (safe: it only deletes the caller's own lease). A
 * statement cut by a dropped connection (a database failover or restart) otherwise left the
 * lease to its TTL: the org's key changes refused for 2 minutes, its removal waiting on a write.
 */
const RELEASE_RETRY_PAUSES_MS = [100, 1_000];
/**
 * The request waits for its release: a release is tried again only while it fails fast (a cut
 * connection answers at once). One that ran into the statement timeout (a lock) or a server gone
 * silent has cost its request 30 s already; trying twice more would hold it past any client's
 * patience and the shutdown grace, for a lease that expires by itself.
 */
const RELEASE_RETRY_WITHIN_MS = 5_000;

type Claim = { claimed: boolean; retry_after_seconds: number | null };

/** What an operation is refused with while another request holds its lease. */
export type LeaseBusyError = (retryAfterSeconds: number) => Error;

/** How a caller that finds the lease taken waits its turn. */
export interface WaitTurn {
  pollMs?: number;
  /** Asked before each claim; the error it returns ends the wait (a shutdown). */
  stopped?: () => Error | null;
}

const lifecycleBusy =
  (org: string): LeaseBusyError =>
  (retryAfter) =>
    new OrgError(
      OrgErrorCode.LifecycleInProgress,
      `Organization '${org}' is being created or removed; retry in ${retryAfter} s.`,
      { headers: { 'Retry-After': String(retryAfter) } },
    );

/**
 * One request at a time per (org, operation), across every API instance: a lease in the tenancy DB
 * (configs/supabase/migrations/0005_org_leases.sql). With `hold` the loser is refused at once
 * with the error the caller supplies (a 409 with Retry-After); with `queue` the loser waits its
 * turn. Either way the holder renews the lease every third of its TTL while it works, so the TTL
 * only bounds how long a crashed holder blocks the operation, not how long the work may take.
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
    await this.acquire(() => this.claim(org, operation, holder, ttlSeconds), busy);
    return this.whileRenewed(org, operation, holder, ttlSeconds, work);
  }

  /**
   * Like `hold`, but waits its turn instead of refusing, for long work that callers queue (an
   * import): polls until the lease is free, then runs `work` holding it, renewed (see whileRenewed).
   */
  async queue<T>(
    org: string,
    operation: string,
    ttlSeconds: number,
    work: () => Promise<T>,
    turn: WaitTurn = {},
  ): Promise<T> {
    const holder = randomUUID();
    await this.acquire(() => this.claim(org, operation, holder, ttlSeconds), null, turn);
    return this.whileRenewed(org, operation, holder, ttlSeconds, work);
  }

  /**
   * Runs a configuration write of an org (its locale, subscription or keys, with its audit entry)
   * so that the org's removal never runs in the middle of it (0015_org_write_leases.sql; a claim
   * deletes the org's expired write leases, 0016, as their releases may never have come): writes of
   * one org run side by side; while the org is being created or removed one is refused (409,
   * Retry-After), or with `turn` waits until that ends (background work that no client retries: an
   * import's swap); the removal waits for the writes already running (`writesEnded`).
   */
  async write<T>(org: string, work: () => Promise<T>, turn?: WaitTurn): Promise<T> {
    const holder = randomUUID();
    const claim = async (): Promise<Claim> => {
      const [c] = await this.db.rpc<Claim>('claim_org_write_lease', {
        p_org_slug: org,
        p_holder: holder,
        p_ttl_seconds: WRITE_LEASE_SECONDS,
      });
      return c ?? { claimed: false, retry_after_seconds: 1 };
    };
    await this.acquire(claim, turn ? null : lifecycleBusy(org), turn);
    return this.whileRenewed(org, `write:${holder}`, holder, WRITE_LEASE_SECONDS, work);
  }

  /**
   * For a removal holding the org's lifecycle lease (so no new write starts): waits up to `maxWaitMs`
   * for the writes already running to end. Returns 0 once none runs, else the seconds until the last
   * one's lease ends at the latest (a writer that crashed holds it that long).
   */
  async writesEnded(org: string, maxWaitMs: number): Promise<number> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const [row] = await this.db.rpc<{ org_writes_running: number }>('org_writes_running', {
        p_org_slug: org,
      });
      const running = row?.org_writes_running ?? 0;
      if (running === 0 || Date.now() >= deadline) return running;
      await new Promise((resolve) => setTimeout(resolve, WRITES_POLL_MS));
    }
  }

  /**
   * Claims until `claim` succeeds: a refusal throws `busy`'s error, or, without `busy`, waits its
   * turn, asking `turn.stopped` before each claim (the error it returns ends the wait: a shutdown).
   */
  private async acquire(claim: () => Promise<Claim>, busy: LeaseBusyError | null, turn: WaitTurn = {}) {
    for (;;) {
      const stop = turn.stopped?.();
      if (stop) throw stop;
      const { claimed, retry_after_seconds } = await claim();
      if (claimed) return;
      const retryAfter = retry_after_seconds ?? 1;
      // The live lease's remaining time is only the worst case (a crashed holder); a live holder
      // usually finishes in seconds, so the hint is capped.
      if (busy) throw busy(Math.min(retryAfter, BUSY_RETRY_CAP_SECONDS));
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(retryAfter * 1000, turn.pollMs ?? QUEUE_POLL_MS)),
      );
    }
  }

  /** Runs `work` with the lease renewed every third of its TTL, and releases it at the end. */
  private async whileRenewed<T>(
    org: string,
    operation: string,
    holder: string,
    ttlSeconds: number,
    work: () => Promise<T>,
  ): Promise<T> {
    // A renewal still in flight when the work ends must land before the release: landing after it,
    // it would take the lease again for a whole TTL (the org refused as busy after its work is done).
    let renewing: Promise<void> = Promise.resolve();
    const renewal = setInterval(
      () => {
        renewing = this.claim(org, operation, holder, ttlSeconds).then(
          (claim) => {
            if (!claim.claimed)
              this.logger.warn(`lease ${operation} of '${org}' lapsed and went to another holder`);
          },
          (err: unknown) => this.logger.warn(`lease ${operation} of '${org}' not renewed: ${String(err)}`),
        );
      },
      (ttlSeconds * 1000) / 3,
    );
    renewal.unref();
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await renewing;
      await this.release(org, operation, holder);
    }
  }

  private async claim(org: string, operation: string, holder: string, ttlSeconds: number): Promise<Claim> {
    const [claim] = await this.db.rpc<Claim>('claim_org_lease', {
      p_org_slug: org,
      p_operation: operation,
      p_holder: holder,
      p_ttl_seconds: ttlSeconds,
    });
    return claim ?? { claimed: false, retry_after_seconds: 1 };
  }

  /** A release that fails again and again leaves the lease to expire: the work's own outcome stands. */
  private async release(org: string, operation: string, holder: string): Promise<void> {
    const began = Date.now();
    for (const pause of [...RELEASE_RETRY_PAUSES_MS, null]) {
      try {
        await this.db.rpc('release_org_lease', { p_org_slug: org, p_operation: operation, p_holder: holder });
        return;
      } catch (err) {
        const cut = err instanceof TenancyDbError && err.code === TenancyDbErrorCode.Unavailable;
        if (pause === null || !cut || Date.now() + pause - began > RELEASE_RETRY_WITHIN_MS) {
          this.logger.warn(`lease ${operation} of '${org}' not released (expires by itself): ${String(err)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}
