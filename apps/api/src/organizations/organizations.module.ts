import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { CostImportModule } from '../cost-import/cost-import.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { PipelineLogsModule } from '../pipeline-logs/pipeline-logs.module.js';
import { AdminOrgService } from './admin-org.service.js';
import { AdminOrganizationsController } from './admin-organizations.controller.js';
import { CentralOrgRowsRepository } from './central-org-rows.repository.js';
import { DryrunService } from './dryrun.service.js';
import { HierarchySeedRepository } from './hierarchy-seed.repository.js';
import { HierarchySeedService } from './hierarchy-seed.service.js';
import { LocaleService } from './locale.service.js';
import { OffboardingService } from './offboarding.service.js';
import { OnboardingController } from './onboarding.controller.js';
import { OnboardingService } from './onboarding.service.js';
import { OrgCreationLock } from './org-creation-lock.js';
import { OrgDatasetService } from './org-dataset.service.js';
import { OrgDirectoryService } from './org-directory.service.js';
import { OrgProfileRepository } from './org-profile.repository.js';
import { OrgRepairController } from './org-repair.controller.js';
import { OrgSettingsController } from './org-settings.controller.js';
import { OrgTenancyService } from './org-tenancy.service.js';
import { OrganizationsController } from './organizations.controller.js';
import { planLimitsProvider } from './plan-limits.provider.js';
import { SubscriptionService } from './subscription.service.js';
import { TenancyOrgRepository } from './tenancy-org.repository.js';

/** Org lifecycle: dry run, onboarding, re-sync, offboarding, locale, subscription, dataset upkeep. */
@Module({
  imports: [ApiKeysModule, AuditModule, CostImportModule, IdempotencyModule, PipelineLogsModule],
  controllers: [
    OnboardingController,
    OrganizationsController,
    OrgSettingsController,
    OrgRepairController,
    AdminOrganizationsController,
  ],
  providers: [
    planLimitsProvider,
    OrgCreationLock,
    OrgProfileRepository,
    TenancyOrgRepository,
    CentralOrgRowsRepository,
    HierarchySeedRepository,
    HierarchySeedService,
    OrgTenancyService,
    OrgDatasetService,
    OnboardingService,
    OffboardingService,
    DryrunService,
    OrgDirectoryService,
    LocaleService,
    SubscriptionService,
    AdminOrgService,
  ],
})
export class OrganizationsModule {}
