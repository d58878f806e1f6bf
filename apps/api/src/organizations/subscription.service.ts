import { Injectable, Logger } from '@nestjs/common';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { fromBillingStatus, toBillingStatus } from './billing-status.js';
import type {
  SubscriptionDto,
  SubscriptionUpdateDto,
  UpdateSubscriptionRequestDto,
} from './dto/subscription.dto.js';
import { OrgProfileRepository } from './org-profile.repository.js';
import { type Limits, limitColumns, OrgTenancyService, type TenancyWrite } from './org-tenancy.service.js';
import { tenancyThenProfileOrUndo } from './profile-write-or-undo.js';
import { OrganizationsErrorCode } from './organizations.errors.js';
import { planOrStarter } from './plan-limits.provider.js';
import type { TenancyOrgPatch } from './tenancy-org.repository.js';
import { dayOrNull, parseTrialEndDate } from './trial-end-date.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { isoInstantOrNull } from '../common/iso-instant.js';
import { OrgLeases } from '../common/org-lease.js';

const SUBSCRIPTION_LEASE = 'subscription';
/** An update takes a few statements; a crashed one delays the next this long at most. */
const SUBSCRIPTION_LEASE_SECONDS = 30;
/** How often an update waiting for another asks again (they take milliseconds). */
const SUBSCRIPTION_POLL_MS = 50;

/**
 * The org's plan and limits. The tenancy DB row holds what quotas enforce; org_profiles keeps the
 * plan name for display. Stripe webhooks (through the frontend) call the update.
 */
@Injectable()
export class SubscriptionService {
  private readonly logger = new Logger(SubscriptionService.name);

  constructor(
    private readonly profiles: OrgProfileRepository,
    private readonly tenancy: OrgTenancyService,
    private readonly audit: AuditService,
    private readonly leases: OrgLeases,
  ) {}

  /** Without a tenancy row (not yet synced) the org gets its profile plan's defaults, never an error. */
  async get(org: string): Promise<SubscriptionDto> {
    const [row, profile] = await Promise.all([this.tenancy.find(org), this.profiles.find(org)]);
    if (!row && !profile) throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);
    // The row's plan when there is a row, as the quota functions read it: a row whose plan is NULL
    // (the dashboard's, before a plan is chosen) runs on STARTER's limits, whatever the profile says.
    const plan = planOrStarter(row ? row.plan : profile?.subscription_plan);
    return {
      org_slug: org,
      subscription_id: row?.stripe_subscription_id ?? '',
      plan_name: plan,
      status: fromBillingStatus(row?.billing_status),
      ...this.tenancy.effectiveLimits(row, plan),
      trial_end_date: dayOrNull(row?.trial_ends_at),
      created_at: isoInstantOrNull(row?.created_at) ?? profile?.created_at.toISOString() ?? null,
      updated_at: isoInstantOrNull(row?.updated_at) ?? profile?.updated_at?.toISOString() ?? null,
    };
  }

  /**
   * Limits not given take the plan's defaults. The profile's plan name follows the tenancy row.
   * A configuration write of the org: never in the middle of its removal (OrgLeases.write).
   * Updates of one org take turns, on every instance: each writes the tenancy row and then the
   * profile, so two interleaved left the profile naming one plan and the quotas enforcing another.
   * A failed update is recorded too (a FAILURE entry saying whether the limits may have changed).
   */
  update(org: string, req: UpdateSubscriptionRequestDto, actor: AuditActor): Promise<SubscriptionUpdateDto> {
    return this.leases.queue(
      org,
      SUBSCRIPTION_LEASE,
      SUBSCRIPTION_LEASE_SECONDS,
      () =>
        this.leases.write(org, () =>
          this.audit.failureRecorded(
            {
              orgSlug: org,
              action: 'UPDATE',
              resourceType: 'SUBSCRIPTION',
              resourceId: org,
              details: { requested: { ...req } },
              actor,
            },
            () => this.apply(org, req, actor),
          ),
        ),
      { pollMs: SUBSCRIPTION_POLL_MS },
    );
  }

  private async apply(
    org: string,
    req: UpdateSubscriptionRequestDto,
    actor: AuditActor,
  ): Promise<SubscriptionUpdateDto> {
    const profile = await this.profiles.find(org);
    if (!profile) throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);
    const current = await this.tenancy.find(org);
    // Without plan_name, the plan the org is on as GET reads it: the row's when there is a row (a
    // NULL one runs on STARTER, whatever the profile says), else the profile's.
    const plan = planOrStarter(req.plan_name ?? (current ? current.plan : profile.subscription_plan));
    const defaults = this.tenancy.defaultLimits(plan);
    const limits: Limits = {
      daily_limit: req.daily_limit ?? defaults.daily_limit,
      monthly_limit: req.monthly_limit ?? defaults.monthly_limit,
      concurrent_limit: req.concurrent_limit ?? defaults.concurrent_limit,
      seat_limit: req.seat_limit ?? defaults.seat_limit,
      providers_limit: req.providers_limit ?? defaults.providers_limit,
    };
    // Absent: the trial end stays as it is; null clears it (validation let through only readable dates).
    const trialDay = req.trial_end_date === undefined ? undefined : parseTrialEndDate(req.trial_end_date);
    const patch: TenancyOrgPatch = { plan, ...limitColumns(limits) };
    if (req.status) patch.billing_status = toBillingStatus(req.status);
    if (trialDay !== undefined) patch.trial_ends_at = trialDay && new Date(`${trialDay}T00:00:00Z`);

    const write: TenancyWrite = { org, previous: null, done: false };
    await tenancyThenProfileOrUndo(
      this.tenancy,
      write,
      this.logger,
      {
        subject: `Subscription of ${org}`,
        outage:
          `The subscription of '${org}' could not be updated: a store it writes to did not answer. ` +
          'Nothing was changed; send the request again.',
        code: OrganizationsErrorCode.SubscriptionUpdateFailed,
        failed: (undone) =>
          undone
            ? `The subscription of '${org}' could not be updated; nothing was changed.`
            : `The subscription of '${org}' could not be updated, and part of it may already apply; ` +
              'send the same request again.',
      },
      () =>
        this.tenancy.upsert(
          org,
          patch,
          { company_name: profile.company_name, admin_email: profile.admin_email },
          write,
        ),
      () => this.profiles.update(org, { subscription_plan: plan }, new Date()),
    );
    const status = req.status ?? fromBillingStatus(current?.billing_status);
    const trialEnd = trialDay === undefined ? dayOrNull(current?.trial_ends_at) : trialDay;
    await this.audit.record({
      orgSlug: org,
      action: 'UPDATE',
      resourceType: 'SUBSCRIPTION',
      resourceId: org,
      status: 'SUCCESS',
      details: {
        plan_name: plan,
        status,
        ...limits,
        trial_end_date: trialEnd,
        previous_plan: current?.plan ?? null,
      },
      actor,
    });
    return {
      org_slug: org,
      plan_name: plan,
      status,
      ...limits,
      trial_end_date: trialEnd,
      updated: true,
      message: `Subscription of '${org}' updated to ${plan}.`,
    };
  }
}
