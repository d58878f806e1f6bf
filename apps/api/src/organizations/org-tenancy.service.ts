import { Inject, Injectable } from '@nestjs/common';
import type { PlanLimits, PlanLimitsTable, PlanName } from '#tenancy-db';
import { PLAN_LIMITS } from './plan-limits.provider.js';
import { type TenancyOrgPatch, TenancyOrgRepository, type TenancyOrgRow } from './tenancy-org.repository.js';

/** The five limits as the API names them (PUT /subscription, GET /subscription). */
export interface Limits {
  daily_limit: number;
  monthly_limit: number;
  concurrent_limit: number;
  seat_limit: number;
  providers_limit: number;
}

/** What an upsert did, so that compensation can take exactly that back. */
export interface TenancyWrite {
  org: string;
  /** The row as it was before an update; null when this call inserted it. */
  previous: TenancyOrgRow | null;
  /** The columns the update set, as written. */
  written?: TenancyOrgPatch;
  /** The row an insert was sent, set before it is sent: an insert may take effect and still fail. */
  inserted?: TenancyOrgPatch;
  done: boolean;
}

export function limitColumns(limits: Limits): TenancyOrgPatch {
  return {
    pipelines_per_day_limit: limits.daily_limit,
    pipelines_per_month_limit: limits.monthly_limit,
    concurrent_pipelines_limit: limits.concurrent_limit,
    seat_limit: limits.seat_limit,
    providers_limit: limits.providers_limit,
  };
}

/**
 * `patch` with its plan in the row's spelling: the dashboard writes Stripe's plan ids in lower case
 * ('starter', 'professional') on the row it creates at signup and reads them back, while the API
 * names plans in capitals. A row in lower case keeps lower case; the API reads either.
 */
function inRowSpelling(row: TenancyOrgRow, patch: TenancyOrgPatch): TenancyOrgPatch {
  if (typeof patch.plan !== 'string' || typeof row.plan !== 'string') return patch;
  const lowerCase = row.plan === row.plan.toLowerCase() && row.plan !== row.plan.toUpperCase();
  return lowerCase ? { ...patch, plan: patch.plan.toLowerCase() } : patch;
}

/**
 * The org's row in the tenancy DB, where the limits that quotas enforce live. The frontend usually
 * creates the row at signup; when it has not, the backend inserts it instead of failing.
 */
@Injectable()
export class OrgTenancyService {
  constructor(
    private readonly repository: TenancyOrgRepository,
    @Inject(PLAN_LIMITS) private readonly plans: PlanLimitsTable,
  ) {}

  planLimits(plan: PlanName): PlanLimits {
    return this.plans[plan];
  }

  defaultLimits(plan: PlanName): Limits {
    const p = this.plans[plan];
    return {
      daily_limit: p.daily_limit,
      monthly_limit: p.monthly_limit,
      concurrent_limit: p.concurrent_limit,
      seat_limit: p.seat_limit,
      providers_limit: p.providers_limit,
    };
  }

  /**
   * A stored row's limits, each one not set (NULL, or 0 as the dashboard's table defaults some to)
   * replaced by the plan's default: the rule of the quota functions (0008_zero_limit_is_unset.sql).
   */
  effectiveLimits(row: TenancyOrgRow | null, plan: PlanName): Limits {
    const d = this.defaultLimits(plan);
    const set = (stored: number | null | undefined, fallback: number) => (stored ? stored : fallback);
    return {
      daily_limit: set(row?.pipelines_per_day_limit, d.daily_limit),
      monthly_limit: set(row?.pipelines_per_month_limit, d.monthly_limit),
      concurrent_limit: set(row?.concurrent_pipelines_limit, d.concurrent_limit),
      seat_limit: set(row?.seat_limit, d.seat_limit),
      providers_limit: set(row?.providers_limit, d.providers_limit),
    };
  }

  find(org: string): Promise<TenancyOrgRow | null> {
    return this.repository.find(org);
  }

  /**
   * Applies `patch` to the org's row, or inserts the row (`patch` plus `onInsert`) when there is
   * none. `write` is filled in as the work happens so that `undo(write)` restores the state before.
   */
  async upsert(
    org: string,
    patch: TenancyOrgPatch,
    onInsert: TenancyOrgPatch & { company_name: string },
    write: TenancyWrite = { org, previous: null, done: false },
  ): Promise<TenancyWrite> {
    const previous = await this.repository.find(org);
    write.previous = previous;
    if (previous) {
      write.written = inRowSpelling(previous, patch);
      await this.repository.update(org, write.written);
    } else {
      write.inserted = { ...onInsert, ...patch };
      await this.repository.insert(org, write.inserted);
    }
    write.done = true;
    return write;
  }

  async undo(write: TenancyWrite): Promise<void> {
    // A write that failed may have taken effect all the same (a statement timeout or a cut
    // connection after the commit): it is taken back too, while the row is still as written. A
    // row another request changed since is left as that request made it.
    if (write.previous) {
      if (write.written) await this.repository.restore(write.previous, write.written);
    } else if (write.done) await this.repository.delete(write.org);
    else if (write.inserted) await this.repository.deleteIfStill(write.org, write.inserted);
  }

  /**
   * The dashboard's "backend onboarded" flag: set once the org works (its profile ACTIVE), cleared
   * when an onboarding is taken back. Set again by a re-sync, which stamps the time anew.
   */
  async markOnboarded(org: string, onboarded: boolean): Promise<void> {
    await this.repository.update(org, {
      backend_onboarded: onboarded,
      backend_onboarded_at: onboarded ? new Date() : null,
    });
  }

  delete(org: string): Promise<number> {
    return this.repository.delete(org);
  }
}
