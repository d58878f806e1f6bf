import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { OrgKeyAuth, OrgParamDto } from '#platform';
import {
  DownloadQueryDto,
  ListBatchRunsQueryDto,
  ListRunsQueryDto,
  ListStepsQueryDto,
  ListTransitionsQueryDto,
  PipelineRunParamDto,
} from './dto/pipeline-logs-query.dto.js';
import {
  BatchRunListDto,
  PipelineDailyStatusDto,
  PipelineRunDetailDto,
  PipelineRunListDto,
  PipelineStatusDto,
  RetryRunResponseDto,
  StateTransitionListDto,
  StepLogListDto,
} from './dto/pipeline-logs-response.dto.js';
import { headerRefs } from '../openapi/response-headers.js';
import { PipelineLogsService } from './pipeline-logs.service.js';

/** Run history of an org's pipelines, read from the central log tables (the org key of `:org`). */
@ApiTags('pipeline-logs')
@ApiExtraModels(PipelineDailyStatusDto, PipelineRunDetailDto)
@Controller('api/v1/pipelines')
export class PipelineLogsController {
  constructor(private readonly logs: PipelineLogsService) {}

  @Get('status/:org')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: PipelineStatusDto, description: 'Daily pipelines that ran today (UTC)' })
  status(@Param() { org }: OrgParamDto): Promise<PipelineStatusDto> {
    return this.logs.dailyStatus(org);
  }

  @Get(':org/runs')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: PipelineRunListDto })
  runs(@Param() { org }: OrgParamDto, @Query() q: ListRunsQueryDto): Promise<PipelineRunListDto> {
    const filters = {
      status: q.status_filter,
      pipelineId: q.pipeline_id,
      triggerType: q.trigger_type,
      triggerBy: q.trigger_by,
      startDate: q.start_date,
      endDate: q.end_date,
    };
    return this.logs.listRuns(org, filters, { limit: q.limit, offset: q.offset });
  }

  @Get(':org/runs/:id')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: PipelineRunDetailDto })
  @ApiNotFoundResponse({ description: 'PIPELINE_RUN_NOT_FOUND' })
  run(@Param() { org, id }: PipelineRunParamDto): Promise<PipelineRunDetailDto> {
    return this.logs.runDetail(org, id);
  }

  @Get(':org/runs/:id/steps')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: StepLogListDto, description: 'Empty for an unknown run' })
  steps(@Param() { org, id }: PipelineRunParamDto, @Query() q: ListStepsQueryDto): Promise<StepLogListDto> {
    return this.logs.listSteps(org, id, q.status_filter, { limit: q.limit, offset: q.offset });
  }

  @Post(':org/runs/:id/retry')
  @HttpCode(200)
  @OrgKeyAuth('pipelines:execute')
  @ApiOkResponse({ type: RetryRunResponseDto, description: 'Nothing is executed: says how to re-run' })
  @ApiNotFoundResponse({ description: 'PIPELINE_RUN_NOT_FOUND' })
  @ApiBadRequestResponse({ description: 'PIPELINE_RUN_NOT_RETRYABLE' })
  retry(@Param() { org, id }: PipelineRunParamDto): Promise<RetryRunResponseDto> {
    return this.logs.retry(org, id);
  }

  @Get(':org/runs/:id/download')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({
    description:
      'An attachment pipeline_run_{id}.json (format=json: the run detail, as GET .../runs/{id} answers it, ' +
      'with every step where the detail stops at 1000) ' +
      'or pipeline_run_{id}.csv (format=csv: a Run Summary block of Field,Value lines, then a Steps table)',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PipelineRunDetailDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
    headers: headerRefs('Content-Disposition'),
  })
  @ApiNotFoundResponse({ description: 'PIPELINE_RUN_NOT_FOUND' })
  async download(
    @Param() { org, id }: PipelineRunParamDto,
    @Query() q: DownloadQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const file = await this.logs.download(org, id, q.format);
    reply.header('Content-Type', file.contentType);
    reply.header('Content-Disposition', `attachment; filename="${file.filename}"`);
    return file.body;
  }

  @Get(':org/runs/:id/transitions')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: StateTransitionListDto, description: 'Oldest first' })
  transitions(
    @Param() { org, id }: PipelineRunParamDto,
    @Query() q: ListTransitionsQueryDto,
  ): Promise<StateTransitionListDto> {
    return this.logs.listTransitions(org, id, q.entity_type, { limit: q.limit, offset: q.offset });
  }

  @Get(':org/batch-runs')
  @OrgKeyAuth('pipelines:read')
  @ApiOkResponse({ type: BatchRunListDto, description: "The org's batches and platform-wide (ALL) ones" })
  batchRuns(@Param() { org }: OrgParamDto, @Query() q: ListBatchRunsQueryDto): Promise<BatchRunListDto> {
    return this.logs.listBatchRuns(org, { limit: q.limit, offset: q.offset });
  }
}
