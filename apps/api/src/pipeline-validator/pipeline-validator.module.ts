import { Module } from '@nestjs/common';
import { QuotaModule } from '../quota/quota.module.js';
import { IntegrationCredentialsRepository } from './integration-credentials.repository.js';
import { PipelineRegistry } from './pipeline-registry.js';
import { PipelineValidatorController } from './pipeline-validator.controller.js';
import { PipelineValidatorService } from './pipeline-validator.service.js';

/** The pipeline service's contract: the registry (also run-all's), validate (with the quota reservation), complete. */
@Module({
  imports: [QuotaModule],
  controllers: [PipelineValidatorController],
  providers: [
    { provide: PipelineRegistry, useFactory: () => PipelineRegistry.load() },
    PipelineValidatorService,
    IntegrationCredentialsRepository,
  ],
  exports: [PipelineRegistry],
})
export class PipelineValidatorModule {}
