import { Module } from '@nestjs/common';
import { PipelineLogsModule } from '../pipeline-logs/pipeline-logs.module.js';
import {
  PIPELINE_PROXY_OPTIONS,
  PIPELINE_PROXY_OPTIONS_OVERRIDE,
  type PipelineProxyOptionsOverride,
  resolvePipelineProxyOptions,
} from './pipeline-proxy.options.js';
import { PipelineServiceClient } from './pipeline-service.client.js';
import { PipelinesProxyController } from './pipelines-proxy.controller.js';
import { PipelinesProxyService } from './pipelines-proxy.service.js';
import { TriggerRateLimiter } from './trigger-rate-limiter.js';

/** The pipeline-service proxy. Exports the client (with its breaker) for run-all. */
@Module({
  imports: [PipelineLogsModule],
  controllers: [PipelinesProxyController],
  providers: [
    {
      provide: PIPELINE_PROXY_OPTIONS,
      inject: [{ token: PIPELINE_PROXY_OPTIONS_OVERRIDE, optional: true }],
      useFactory: (override?: PipelineProxyOptionsOverride) => resolvePipelineProxyOptions(override),
    },
    PipelineServiceClient,
    PipelinesProxyService,
    TriggerRateLimiter,
  ],
  exports: [PipelineServiceClient],
})
export class PipelinesProxyModule {}
