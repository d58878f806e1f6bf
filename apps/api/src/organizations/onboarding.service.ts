import { Injectable, Logger } from '@nestjs/common';
import { CostCache } from '#analytics';
import { AppConfig } from '#platform';
import type { PlanName } from '#tenancy-db';
import { ApiKeyService, type IssuedKey } from '../api-keys/api-key.service.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CompensatingSteps, StepFailedError } from './compensating-steps.js';
import { rollBackCreation } from './creation-rollback.js';
import { resyncFailure, tenancyThenProfileOrUndo } from './profile-write-or-undo.js';
import type { OnboardOrgRequestDto, OnboardOrgResponseDto } from './dto/onboarding.dto.js';
import { HierarchySeedService, type HierarchySeeded } from './hierarchy-seed.service.js';
import { DEFAULT_LANGUAGE } from './locale-catalog.js';
import { type Locale, localeOf, planOf } from './onboarding-request.js';
import { OrgCreationLock } from './org-creation-lock.js';
import { clearEarlierOrg } from './earlier-org.js';
import { datasetCreation, OrgDatasetService } from './org-dataset.service.js';
import { OrgProfileRepository, PROVISIONING, type ProfileRow } from './org-profile.repository.js';
import { planOrStarter } from './plan-limits.provider.js';
import { limitColumns, OrgTenancyService, type TenancyWrite } from './org-tenancy.service.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

/** The named steps of a new org; a failure response names the one that failed. */
export const ONBOARDING_STEPS = {
  profile: 'STEP 1: create org profile',
  apiKey: 'STEP 2: issue API key',
  tenancy: 'STEP 3: write tenancy limits',
  dataset: 'STEP 4: create org dataset, tables and views',
  hierarchy: 'STEP 5: seed default hierarchy',
  activate: 'STEP 6: activate the org',
  onboarded: 'STEP 7: mark the org onboarded in the tenancy DB',
} as const;

/**
 * POST /organizations/onboard: a new org across the warehouse, the tenancy DB and the key store,
 * all or nothing; or, for an existing ACTIVE org asked to, a re-sync of its profile and limits.
 */
@Injectable()
export class OnboardingService {
  private readonly logger = new Logger(OnboardingService.name);

  constructor(
    private readonly profiles: OrgProfileRepository,
    private readonly tenancy: OrgTenancyService,
    private readonly datasets: OrgDatasetService,
    private readonly hierarchy: HierarchySeedService,
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
    private readonly lock: OrgCreationLock,
    private readonly config: AppConfig,
    private readonly costCache: CostCache,
  ) {}

  onboard(req: OnboardOrgRequestDto, actor: AuditActor): Promise<OnboardOrgResponseDto> {
    // Quiesced: a re-sync writes the plan, limits, locale and key that a change begun earlier writes.
    return this.lock.holdQuiesced(req.org_slug, async () => {
      await this.datasets.checkLocation(req.org_slug, req.dataset_location);
      const existing = await this.profiles.find(req.org_slug);
      if (!existing) return this.create(req, actor);
      // The lock is ours, so the onboarding that wrote this profile is not running any more.
      if (existing.status === PROVISIONING) return this.resyncRecorded(existing, req, actor);
      if (!req.regenerate_api_key_if_exists)
        throw new OrganizationsError(
          OrganizationsErrorCode.OrgExists,
          `Organization '${req.org_slug}' already exists with status '${existing.status}'. ` +
            'Send regenerate_api_key_if_exists=true to re-sync it, or rotate its API key.',
        );
      if (existing.status !== 'ACTIVE')
        throw new OrgError(
          OrgErrorCode.NotActive,
          `Organization '${req.org_slug}' is not active (status: ${existing.status}). Contact support.`,
        );
      return this.resyncRecorded(existing, req, actor);
    });
  }

  private async create(req: OnboardOrgRequestDto, actor: AuditActor): Promise<OnboardOrgResponseDto> {
    const org = req.org_slug;
    const deps = { datasets: this.datasets, keys: this.keys };
    const earlier = await clearEarlierOrg(deps, org, req.adopt_existing_dataset);
    const adoptedAt = earlier.datasetAbsent ? null : await this.datasets.location(org, req.dataset_location);
    const plan = planOf(req);
    const locale = localeOf(req);
    const now = new Date();
    const steps = new CompensatingSteps();
    const dataset = datasetCreation(earlier.datasetAbsent);
    const tenancyWrite: TenancyWrite = { org, previous: null, done: false };
    let key: IssuedKey;
    let seeded: HierarchySeeded;
    try {
      await steps.run(
        ONBOARDING_STEPS.profile,
        () => this.profiles.insert(this.profileRow(req, plan, locale, now)),
        () => this.profiles.delete(org),
      );
      key = await steps.run(
        ONBOARDING_STEPS.apiKey,
        () => this.keys.issue(org, { description: 'Onboarding API key' }),
        () => this.keys.deleteAll(org),
      );
      // Not onboarded yet: the dashboard reads the flag, and a crash before activation must not
      // leave it saying so (STEP 7 sets it once the org works).
      const provisioning = {
        ...this.tenancyValues(req, plan),
        backend_api_key_fingerprint: key.fingerprint,
        backend_onboarded: false,
        backend_onboarded_at: null,
      };
      await steps.run(
        ONBOARDING_STEPS.tenancy,
        () => this.tenancy.upsert(org, provisioning, { company_name: req.company_name }, tenancyWrite),
        () => this.tenancy.undo(tenancyWrite),
      );
      await steps.run(
        ONBOARDING_STEPS.dataset,
        () => this.datasets.create(org, req.dataset_location, dataset),
        () => this.datasets.undo(dataset),
      );
      seeded = await steps.run(
        ONBOARDING_STEPS.hierarchy,
        () => this.hierarchy.seedDefaults(org, now),
        () => this.hierarchy.removeAll(org),
      );
      await steps.run(
        ONBOARDING_STEPS.activate,
        () => this.profiles.activate(org),
        // Undone with the profile itself (STEP 1).
        () => Promise.resolve(),
      );
      // Undone first (newest first), so that STEP 3's undo finds the row as it wrote it.
      await steps.run(
        ONBOARDING_STEPS.onboarded,
        () => this.tenancy.markOnboarded(org, true),
        () => this.tenancy.markOnboarded(org, false),
      );
    } catch (err) {
      if (!(err instanceof StepFailedError)) throw err;
      throw await rollBackCreation(this.audit, this.logger, {
        org,
        failure: err,
        steps,
        actor,
        code: OrganizationsErrorCode.OnboardingFailed,
        operation: 'Onboarding',
      });
    }
    await this.audit.record({
      orgSlug: org,
      action: 'CREATE',
      resourceType: 'ORGANIZATION',
      resourceId: org,
      status: 'SUCCESS',
      details: {
        subscription_plan: plan,
        dataset_id: dataset.datasetId,
        tables_created: dataset.tablesCreated.length,
        views_created: dataset.viewsCreated.length,
        hierarchy_seeded: seeded,
        tenancy_row: tenancyWrite.previous ? 'updated' : 'inserted',
      },
      actor,
    });
    return {
      ...this.responseBase(req, plan, locale),
      ...(adoptedAt !== null && { dataset_location: adoptedAt }), // an adopted dataset stays where it is
      api_key: key.apiKey,
      dataset_created: dataset.datasetCreated,
      tables_created: dataset.tablesCreated,
      views_created: dataset.viewsCreated,
      hierarchy_seeded: seeded,
      message:
        `Organization '${org}' onboarded: dataset ${dataset.datasetId} with ${dataset.tablesCreated.length} ` +
        `new table(s) and ${dataset.viewsCreated.length} view(s), ${seeded.entities} hierarchy entities. ` +
        'Store the API key now: it is shown only once.',
    };
  }

  /**
   * A re-sync, its failure recorded as a FAILURE entry (AuditService.failureRecorded): one that
   * fails half-way may already have changed the org's profile, plan and limits.
   */
  private resyncRecorded(existing: ProfileRow, req: OnboardOrgRequestDto, actor: AuditActor) {
    const org = existing.org_slug;
    const entry = { orgSlug: org, action: 'UPDATE', resourceType: 'ORGANIZATION', resourceId: org } as const;
    return this.audit.failureRecorded({ ...entry, details: { resync: true }, actor }, () =>
      this.resync(existing, req, actor),
    );
  }

  /**
   * An existing ACTIVE org: profile and tenancy limits brought in line with the request, its
   * current key returned (decrypted), or a new one when it has none, and what an onboarding cut off
   * half-way (a crash or a deploy in the middle: its compensation lives in memory) left undone:
   * the dataset's missing tables and views, and the default hierarchy of an org that has none.
   * Each write is idempotent, so a failed re-sync is simply retried. What the request leaves out
   * (plan, currency, time zone) stays as the org has it: a re-sync asked for only to get the key
   * back must not reset a paying org to STARTER's limits, USD and UTC. A plan sent sets that plan's
   * default limits, as in the replaced service.
   */
  private async resync(
    existing: ProfileRow,
    req: OnboardOrgRequestDto,
    actor: AuditActor,
  ): Promise<OnboardOrgResponseDto> {
    const org = existing.org_slug;
    const sentPlan = req.subscription_plan;
    const current = sentPlan ? null : await this.tenancy.find(org);
    // The row's plan when there is one (what quotas enforce), as GET /subscription reads it.
    const plan = sentPlan ?? planOrStarter(current ? current.plan : existing.subscription_plan);
    const locale = localeOf({
      default_currency: req.default_currency ?? existing.default_currency ?? undefined,
      default_timezone: req.default_timezone ?? existing.default_timezone ?? undefined,
    });
    const localeSent = req.default_currency !== undefined || req.default_timezone !== undefined;
    const resumed = existing.status === PROVISIONING;
    // A key in a rotation's grace period is not the org's key any more: it stops working soon. A
    // copy the encryption key cannot read (a lost key file) is one there is no copy of, as below.
    let apiKey = await this.keys.revealActiveIfReadable(org, { permanentOnly: true });
    const retained = apiKey !== null;
    // A working key without a stored copy (one the replaced system stored) cannot be shown: it keeps
    // working, the new key issued next to it (one in a grace period expires on its own: not such).
    const unshownKept = !retained && (await this.keys.hasPermanentKey(org));
    if (apiKey === null)
      apiKey = (await this.keys.issue(org, { description: 'Onboarding re-sync API key' })).apiKey;
    const fingerprint = (await this.keys.activeKey(org))?.fingerprint ?? null;
    const contact = { company_name: req.company_name, admin_email: req.admin_email };
    const tenancyWrite: TenancyWrite = { org, previous: null, done: false };
    const tenancyPatch = {
      ...(sentPlan ? this.tenancyValues(req, sentPlan) : { ...contact, backend_quota_synced: true }),
      backend_api_key_fingerprint: fingerprint,
    };
    await tenancyThenProfileOrUndo(
      this.tenancy,
      tenancyWrite,
      this.logger,
      resyncFailure(org),
      () => this.tenancy.upsert(org, tenancyPatch, this.tenancyValues(req, plan), tenancyWrite),
      () =>
        this.profiles.update(
          org,
          {
            ...contact,
            ...(sentPlan && { subscription_plan: plan }),
            ...(req.default_currency !== undefined && {
              default_currency: locale.currency,
              default_country: locale.country,
              default_language: DEFAULT_LANGUAGE,
            }),
            ...(req.default_timezone !== undefined && { default_timezone: locale.timezone }),
          },
          new Date(),
        ),
    );
    // Cost reads answer in the org's currency and count days in its time zone (see LocaleService).
    if (localeSent) await this.costCache.invalidateOrg(org);
    const dataset = datasetCreation();
    await this.datasets.create(org, req.dataset_location, dataset);
    // An onboarding cut off half-way may have written the levels and not the entities (two
    // warehouse jobs): its hierarchy is completed. An active org's own changes are left alone.
    const seeded = resumed
      ? await this.hierarchy.seedDefaults(org, new Date())
      : await this.hierarchy.seedIfEmpty(org, new Date());
    if (resumed) {
      await this.profiles.activate(org);
      // A try of the key while the org was provisioning is remembered as refused for a moment.
      await this.keys.forgetOrg(org);
    }
    await this.tenancy.markOnboarded(org, true);
    // Where the dataset is: a re-sync's dataset_location cannot move one made earlier. Read before
    // the SUCCESS entry: failing after it, the request also left a FAILURE entry (resyncRecorded).
    const datasetLocation = await this.datasets.location(org, req.dataset_location);
    await this.audit.record({
      orgSlug: org,
      action: 'UPDATE',
      resourceType: 'ORGANIZATION',
      resourceId: org,
      status: 'SUCCESS',
      details: {
        resync: true,
        resumed_onboarding: resumed,
        subscription_plan: plan,
        api_key_retained: retained,
        ...(unshownKept ? { unshown_key_kept: true } : {}),
        tables_created: dataset.tablesCreated.length,
        hierarchy_seeded: seeded,
      },
      actor,
    });
    return {
      ...this.responseBase(req, plan, locale),
      dataset_location: datasetLocation,
      api_key: apiKey,
      dataset_created: dataset.datasetCreated,
      tables_created: dataset.tablesCreated,
      views_created: dataset.viewsCreated,
      hierarchy_seeded: seeded,
      message: resumed
        ? `Organization '${org}' onboarded: an earlier onboarding that stopped half-way was finished. ` +
          'Store the API key now.'
        : retained
          ? `Organization '${org}' re-synced. Existing API key retained (use rotate endpoint if needed).`
          : unshownKept
            ? `Organization '${org}' re-synced. Its active API key has no stored copy to show, so a new ` +
              'key was issued next to it; the old one keeps working until you rotate (which retires it).'
            : `Organization '${org}' re-synced. It had no active API key: a new one was issued.`,
    };
  }

  private profileRow(req: OnboardOrgRequestDto, plan: PlanName, locale: Locale, now: Date): ProfileRow {
    return {
      org_slug: req.org_slug,
      company_name: req.company_name,
      admin_email: req.admin_email,
      org_dataset_id: this.config.orgDataset(req.org_slug),
      status: PROVISIONING,
      subscription_plan: plan,
      default_currency: locale.currency,
      default_country: locale.country,
      default_language: DEFAULT_LANGUAGE,
      default_timezone: locale.timezone,
      fiscal_year_start_month: 1,
      created_at: now,
      updated_at: now,
    };
  }

  private tenancyValues(req: OnboardOrgRequestDto, plan: PlanName) {
    return {
      ...limitColumns(this.tenancy.defaultLimits(plan)),
      plan,
      company_name: req.company_name,
      admin_email: req.admin_email,
      backend_quota_synced: true,
    };
  }

  private responseBase(req: OnboardOrgRequestDto, plan: PlanName, locale: Locale) {
    return {
      org_slug: req.org_slug,
      subscription_plan: plan,
      default_currency: locale.currency,
      default_country: locale.country,
      default_language: DEFAULT_LANGUAGE,
      default_timezone: locale.timezone,
      dataset_location: req.dataset_location ?? this.config.env.BIGQUERY_LOCATION,
      dryrun_status: 'SKIPPED' as const,
    };
  }
}
