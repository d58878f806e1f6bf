import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '#platform';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { CentralOrgRowsRepository } from './central-org-rows.repository.js';
import { CompensatingSteps, StepFailedError } from './compensating-steps.js';
import { rollBackCreation } from './creation-rollback.js';
import type { CreateOrgRequestDto, OrgAdminSummaryDto } from './dto/admin-org.dto.js';
import { DEFAULT_CURRENCY, DEFAULT_LANGUAGE, DEFAULT_TIMEZONE, currencyInfo } from './locale-catalog.js';
import { OrgCreationLock } from './org-creation-lock.js';
import { clearEarlierOrg } from './earlier-org.js';
import { datasetCreation, OrgDatasetService } from './org-dataset.service.js';
import { OrgProfileRepository, PROVISIONING } from './org-profile.repository.js';
import { limitColumns, OrgTenancyService, type TenancyWrite } from './org-tenancy.service.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';

/** The legacy create has no admin email field; this placeholder is what it always recorded. */
const PLACEHOLDER_ADMIN_EMAIL = 'admin@example.com';

const STEPS = {
  profile: 'STEP 1: create org profile',
  tenancy: 'STEP 2: write tenancy limits',
  dataset: 'STEP 3: create org dataset, tables and views',
  activate: 'STEP 4: activate the org',
} as const;

/** POST/GET /admin/organizations: the legacy create (no API key) and the per-org counts. */
@Injectable()
export class AdminOrgService {
  private readonly logger = new Logger(AdminOrgService.name);

  constructor(
    private readonly profiles: OrgProfileRepository,
    private readonly tenancy: OrgTenancyService,
    private readonly datasets: OrgDatasetService,
    private readonly rows: CentralOrgRowsRepository,
    private readonly keys: ApiKeyService,
    private readonly audit: AuditService,
    private readonly lock: OrgCreationLock,
    private readonly config: AppConfig,
  ) {}

  create(req: CreateOrgRequestDto, actor: AuditActor): Promise<OrgAdminSummaryDto> {
    const org = req.org_slug;
    return this.lock.hold(org, async () => {
      const existing = await this.profiles.find(org);
      if (existing)
        throw new OrganizationsError(
          OrganizationsErrorCode.OrgExists,
          existing.status === PROVISIONING
            ? `Organization '${org}' was being created when that stopped half-way; ` +
                'POST /api/v1/organizations/onboard finishes it.'
            : `Organization '${org}' already exists with status '${existing.status}'.`,
        );
      const earlier = await clearEarlierOrg({ datasets: this.datasets, keys: this.keys }, org, false);
      const now = new Date();
      const companyName = req.description?.trim() || org;
      const currency = currencyInfo(DEFAULT_CURRENCY);
      const limits = limitColumns(this.tenancy.defaultLimits('STARTER'));
      const steps = new CompensatingSteps();
      const write: TenancyWrite = { org, previous: null, done: false };
      const dataset = datasetCreation(earlier.datasetAbsent);
      try {
        await steps.run(
          STEPS.profile,
          () =>
            this.profiles.insert({
              org_slug: org,
              company_name: companyName,
              admin_email: PLACEHOLDER_ADMIN_EMAIL,
              org_dataset_id: this.config.orgDataset(org),
              status: PROVISIONING,
              subscription_plan: 'STARTER',
              default_currency: currency.code,
              default_country: currency.country,
              default_language: DEFAULT_LANGUAGE,
              default_timezone: DEFAULT_TIMEZONE,
              fiscal_year_start_month: 1,
              created_at: now,
              updated_at: now,
            }),
          () => this.profiles.delete(org),
        );
        await steps.run(
          STEPS.tenancy,
          () =>
            this.tenancy.upsert(
              org,
              { ...limits, plan: 'STARTER', backend_quota_synced: true },
              { company_name: companyName, admin_email: PLACEHOLDER_ADMIN_EMAIL, billing_status: 'active' },
              write,
            ),
          () => this.tenancy.undo(write),
        );
        await steps.run(
          STEPS.dataset,
          () => this.datasets.create(org, undefined, dataset),
          () => this.datasets.undo(dataset),
        );
        await steps.run(
          STEPS.activate,
          () => this.profiles.activate(org),
          // Undone with the profile itself (STEP 1).
          () => Promise.resolve(),
        );
      } catch (err) {
        if (!(err instanceof StepFailedError)) throw err;
        throw await rollBackCreation(this.audit, this.logger, {
          org,
          failure: err,
          steps,
          actor,
          code: OrganizationsErrorCode.OrgCreationFailed,
          operation: 'Create',
        });
      }
      await this.audit.record({
        orgSlug: org,
        action: 'CREATE',
        resourceType: 'ORGANIZATION',
        resourceId: org,
        status: 'SUCCESS',
        details: { legacy_create: true, dataset_id: dataset.datasetId },
        actor,
      });
      return { org_slug: org, datasets_created: 1, api_keys_count: 0, total_pipeline_runs: 0 };
    });
  }

  async summary(org: string): Promise<OrgAdminSummaryDto> {
    if (!(await this.profiles.find(org)))
      throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);
    const [datasetExists, keys, runs] = await Promise.all([
      this.datasets.exists(org),
      this.keys.countKeys(org),
      this.rows.count('org_meta_pipeline_runs', org),
    ]);
    return {
      org_slug: org,
      datasets_created: datasetExists ? 1 : 0,
      api_keys_count: keys,
      total_pipeline_runs: runs,
    };
  }
}
