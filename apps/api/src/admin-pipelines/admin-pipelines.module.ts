import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { PipelineLogsModule } from '../pipeline-logs/pipeline-logs.module.js';
import { PipelineValidatorModule } from '../pipeline-validator/pipeline-validator.module.js';
import { PipelinesProxyModule } from '../pipelines-proxy/pipelines-proxy.module.js';
import { QuotaModule } from '../quota/quota.module.js';
import { RunAllController } from './run-all.controller.js';
import { RunAllRepository } from './run-all.repository.js';
import { RunAllService } from './run-all.service.js';

/** Admin pipeline operations: run-all starts every org's configured daily pipelines. */
@Module({
  imports: [
    ApiKeysModule,
    IdempotencyModule,
    PipelineLogsModule,
    PipelinesProxyModule,
    PipelineValidatorModule,
    QuotaModule,
  ],
  controllers: [RunAllController],
  providers: [RunAllService, RunAllRepository],
})
export class AdminPipelinesModule {}
