import { Module } from '@nestjs/common';
import { PipelineLogsController } from './pipeline-logs.controller.js';
import { PipelineLogsRepository } from './pipeline-logs.repository.js';
import { PipelineLogsService } from './pipeline-logs.service.js';
import { PipelineStatusCache } from './pipeline-status.cache.js';

/** Pipeline run history. Exports the status cache: a trigger clears it, the proxy reports its metrics. */
@Module({
  controllers: [PipelineLogsController],
  providers: [PipelineLogsService, PipelineLogsRepository, PipelineStatusCache],
  exports: [PipelineStatusCache],
})
export class PipelineLogsModule {}
