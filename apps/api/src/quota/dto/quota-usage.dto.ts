import { ApiProperty } from '@nestjs/swagger';
import { subscriptionRefusal } from '../../pipeline-validator/subscription-view.js';
import type { OrgQuotaView } from '../quota.service.js';
import { remaining, remainingToday } from '../runs-left.js';

/** used/limit in percent, 2 decimals; a limit of 0 is fully used. */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return 100;
  return Math.round((used / limit) * 10_000) / 100;
}

/**
 * An org's pipeline limits and usage. snake_case fields, plus the camelCase ones the dashboard of
 * the system this one replaces reads (same values).
 */
export class QuotaUsageDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ enum: ['STARTER', 'PROFESSIONAL', 'SCALE', 'ENTERPRISE'] }) plan: string;
  @ApiProperty({ description: 'UTC day of the daily figures', format: 'date' }) usage_date: string;
  @ApiProperty() daily_limit: number;
  @ApiProperty() monthly_limit: number;
  @ApiProperty() concurrent_limit: number;
  @ApiProperty() seat_limit: number;
  @ApiProperty() providers_limit: number;
  @ApiProperty({ description: 'Runs counted today (failed runs give their count back)' })
  pipelines_run_today: number;
  @ApiProperty() pipelines_succeeded_today: number;
  @ApiProperty() pipelines_failed_today: number;
  @ApiProperty({ description: "Runs counted this month: the sum of the month's days" })
  pipelines_run_month: number;
  @ApiProperty({ description: 'Live reservations: running and not past their expiry' })
  concurrent_running: number;
  @ApiProperty({
    description:
      'Runs that may still start today: the daily limit left, capped by the monthly limit left; 0 while the ' +
      'subscription may not run pipelines (neither ACTIVE nor TRIAL, or a trial past its end day)',
  })
  remaining_today: number;
  @ApiProperty() remaining_month: number;
  @ApiProperty() remaining_concurrent: number;
  @ApiProperty() daily_usage_percent: number;
  @ApiProperty() monthly_usage_percent: number;
  @ApiProperty() concurrent_usage_percent: number;
  @ApiProperty({ description: 'Distinct providers with an active, VALID credential' })
  providers_configured: number;
  @ApiProperty() remaining_providers: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the oldest live reservation stops holding its slot; with more runs live than the concurrent limit ' +
      '(lowered by a plan change), when enough of them have ended for one more to start',
  })
  next_slot_frees_at: string | null;

  @ApiProperty() pipelinesRunToday: number;
  @ApiProperty() dailyLimit: number;
  @ApiProperty() pipelinesRunMonth: number;
  @ApiProperty() monthlyLimit: number;
  @ApiProperty() concurrentRunning: number;
  @ApiProperty() concurrentLimit: number;
  @ApiProperty() seatLimit: number;
  @ApiProperty() providersLimit: number;
  @ApiProperty() configuredProvidersCount: number;
  @ApiProperty({ format: 'date' }) usageDate: string;
  @ApiProperty() dailyUsagePercent: number;
  @ApiProperty() monthlyUsagePercent: number;

  static from(q: OrgQuotaView): QuotaUsageDto {
    // No run may start today under a subscription validate refuses (neither ACTIVE nor TRIAL, or a
    // trial past its end day), judged on the day the figures are of.
    const runnable = subscriptionRefusal(q, new Date(`${q.usageDate}T00:00:00Z`)) === null;
    const dailyPercent = usagePercent(q.dailyUsed, q.limits.daily);
    const monthlyPercent = usagePercent(q.monthlyUsed, q.limits.monthly);
    return {
      org_slug: q.orgSlug,
      plan: q.plan,
      usage_date: q.usageDate,
      daily_limit: q.limits.daily,
      monthly_limit: q.limits.monthly,
      concurrent_limit: q.limits.concurrent,
      seat_limit: q.limits.seats,
      providers_limit: q.limits.providers,
      pipelines_run_today: q.dailyUsed,
      pipelines_succeeded_today: q.dailySucceeded,
      pipelines_failed_today: q.dailyFailed,
      pipelines_run_month: q.monthlyUsed,
      concurrent_running: q.concurrentUsed,
      remaining_today: runnable
        ? remainingToday({
            dailyLimit: q.limits.daily,
            dailyUsed: q.dailyUsed,
            monthlyLimit: q.limits.monthly,
            monthlyUsed: q.monthlyUsed,
          })
        : 0,
      remaining_month: remaining(q.limits.monthly, q.monthlyUsed),
      remaining_concurrent: remaining(q.limits.concurrent, q.concurrentUsed),
      daily_usage_percent: dailyPercent,
      monthly_usage_percent: monthlyPercent,
      concurrent_usage_percent: usagePercent(q.concurrentUsed, q.limits.concurrent),
      providers_configured: q.providersConfigured,
      remaining_providers: remaining(q.limits.providers, q.providersConfigured),
      next_slot_frees_at: q.oldestLiveExpiresAt,
      pipelinesRunToday: q.dailyUsed,
      dailyLimit: q.limits.daily,
      pipelinesRunMonth: q.monthlyUsed,
      monthlyLimit: q.limits.monthly,
      concurrentRunning: q.concurrentUsed,
      concurrentLimit: q.limits.concurrent,
      seatLimit: q.limits.seats,
      providersLimit: q.limits.providers,
      configuredProvidersCount: q.providersConfigured,
      usageDate: q.usageDate,
      dailyUsagePercent: dailyPercent,
      monthlyUsagePercent: monthlyPercent,
    };
  }
}
