import { isIsoDate } from '#analytics';
import { isoInstantOrNull } from '../common/iso-instant.js';
import { fromBillingStatus } from '../organizations/billing-status.js';
import { dayOrNull } from '../organizations/trial-end-date.js';
import type { OrgSubscription, QuotaCounts } from '../quota/quota.types.js';
import { remaining, remainingToday } from '../quota/runs-left.js';

/**
 * Whether the trial ended before today (UTC), as reserve_pipeline_quota compares the days: by the
 * day it shows (dayOrNull); `-infinity` has ended, and what no day can hold (`infinity`, a year
 * past 9999) has not, nor does the reservation's own check on the stored value say otherwise.
 */
function trialOver(trialEndsAt: string | null, now: Date): boolean {
  if (trialEndsAt === '-infinity') return true;
  const day = dayOrNull(trialEndsAt);
  return day !== null && isIsoDate(day) && day < now.toISOString().slice(0, 10);
}

export function subscriptionOf(state: OrgSubscription) {
  return {
    subscription_id: state.stripeSubscriptionId,
    plan_name: state.plan,
    status: fromBillingStatus(state.billingStatus),
    daily_limit: state.limits.daily,
    monthly_limit: state.limits.monthly,
    concurrent_limit: state.limits.concurrent,
    seat_limit: state.limits.seats,
    providers_limit: state.limits.providers,
    // A day, as the subscription routes store and show it (the trial runs through that UTC day).
    trial_end_date: dayOrNull(state.trialEndsAt),
    // An instant as the API writes every other one, not as the tenancy DB renders it.
    subscription_end_date: isoInstantOrNull(state.currentPeriodEnd),
  };
}

/**
 * Why the org may not run pipelines, or null. Only ACTIVE and TRIAL may, and a trial only through
 * the UTC day it ends on (the same rule reserve_pipeline_quota applies).
 */
export function subscriptionRefusal(state: OrgSubscription, now: Date): string | null {
  const status = fromBillingStatus(state.billingStatus);
  if (status !== 'ACTIVE' && status !== 'TRIAL') return `Subscription is ${status}. Must be ACTIVE or TRIAL.`;
  if (status === 'TRIAL' && trialOver(state.trialEndsAt, now))
    return `Subscription trial ended on ${dayOrNull(state.trialEndsAt)}. Must be ACTIVE or TRIAL.`;
  return null;
}

/**
 * The validate response's `quota` block. `runnable` false (the subscription may not run pipelines
 * now) leaves no run today whatever the limits: remaining_today promises runs that can start.
 */
export function quotaSnapshot(c: QuotaCounts, runnable = true) {
  return {
    pipelines_run_today: c.dailyUsed,
    pipelines_run_month: c.monthlyUsed,
    concurrent_pipelines_running: c.concurrentUsed,
    daily_limit: c.dailyLimit,
    monthly_limit: c.monthlyLimit,
    concurrent_limit: c.concurrentLimit,
    remaining_today: runnable ? remainingToday(c) : 0,
    remaining_month: remaining(c.monthlyLimit, c.monthlyUsed),
    remaining_concurrent: remaining(c.concurrentLimit, c.concurrentUsed),
  };
}
