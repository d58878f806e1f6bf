import type { OrgSubscription, RunStatus } from './quota.types.js';

/** The rows the SQL functions of 0004_pipeline_quota.sql return, as the tenancy-DB drivers give them. */
export interface LimitsRow {
  org_slug: string;
  plan: string;
  billing_status: string;
  trial_ends_at: string | null;
  current_period_end: string | null;
  stripe_subscription_id: string | null;
  daily_limit: number;
  monthly_limit: number;
  concurrent_limit: number;
  seat_limit: number;
  providers_limit: number;
  [k: string]: unknown;
}

export function subscriptionOf(row: LimitsRow): OrgSubscription {
  return {
    orgSlug: row.org_slug,
    plan: row.plan,
    billingStatus: row.billing_status,
    trialEndsAt: row.trial_ends_at,
    currentPeriodEnd: row.current_period_end,
    stripeSubscriptionId: row.stripe_subscription_id,
    limits: {
      daily: row.daily_limit,
      monthly: row.monthly_limit,
      concurrent: row.concurrent_limit,
      seats: row.seat_limit,
      providers: row.providers_limit,
    },
  };
}

/** Every column but `granted`, `reason`, `replayed` and `readmitted` is null when the org is unknown. */
export interface ReserveRow {
  granted: boolean;
  reason: string | null;
  replayed: boolean;
  reservation_id: string | null;
  reservation_date: string | null;
  expires_at: string | null;
  retry_after_seconds: number | null;
  daily_used: number | null;
  daily_limit: number | null;
  monthly_used: number | null;
  monthly_limit: number | null;
  concurrent_used: number | null;
  concurrent_limit: number | null;
  plan: string | null;
  billing_status: string | null;
  trial_ends_at: string | null;
  current_period_end: string | null;
  stripe_subscription_id: string | null;
  seat_limit: number | null;
  providers_limit: number | null;
  readmitted: boolean;
  [k: string]: unknown;
}

export interface CompleteRow {
  outcome: 'completed' | 'already_completed' | 'not_found';
  reservation_id: string | null;
  run_id: string | null;
  pipeline_id: string | null;
  reservation_date: string | null;
  status: RunStatus | null;
  completed_at: string | null;
  [k: string]: unknown;
}

export interface HeartbeatRow {
  outcome: 'extended' | 'not_live' | 'not_found';
  reservation_id: string | null;
  run_id: string | null;
  status: string | null;
  expires_at: string | null;
  [k: string]: unknown;
}

export interface QuotaRow extends LimitsRow {
  usage_date: string;
  daily_used: number;
  daily_succeeded: number;
  daily_failed: number;
  monthly_used: number;
  concurrent_used: number;
  oldest_live_expires_at: string | null;
  [k: string]: unknown;
}

export interface ExpiredRow {
  org_slug: string;
  run_id: string;
  reservation_id: string;
  pipeline_id: string;
  reservation_date: string;
  expires_at: string;
  newly_expired: boolean;
  [k: string]: unknown;
}

export interface PlanLimitsRow {
  plan: string;
  daily_limit: number;
  monthly_limit: number;
  concurrent_limit: number;
  seat_limit: number;
  providers_limit: number;
  [k: string]: unknown;
}
