import { Module } from '@nestjs/common';
import { PipelineRunsRepository } from './pipeline-runs.repository.js';
import { QuotaAdminController } from './quota-admin.controller.js';
import { QuotaMaintenanceService } from './quota-maintenance.service.js';
import { QuotaController } from './quota.controller.js';
import { QuotaRepository } from './quota.repository.js';
import { QuotaService } from './quota.service.js';

/** Pipeline quotas in the tenancy DB. Exports QuotaService (the validator reserves and completes runs). */
@Module({
  controllers: [QuotaController, QuotaAdminController],
  providers: [QuotaService, QuotaMaintenanceService, QuotaRepository, PipelineRunsRepository],
  exports: [QuotaService],
})
export class QuotaModule {}
