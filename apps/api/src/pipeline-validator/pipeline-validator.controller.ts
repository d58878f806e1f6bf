import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiHeader,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  AuthService,
  OrgKeyAuth,
  OrgKeyOrRootAuth,
  OrgParamDto,
  PipelineServiceLimit,
  type PlatformError,
  Public,
  validationError,
} from '#platform';
import { headerRefs } from '../openapi/response-headers.js';
import type { RunRef } from '../quota/quota.types.js';
import {
  CompleteRequestDto,
  CompleteResponseDto,
  HeartbeatRequestDto,
  HeartbeatResponseDto,
} from './dto/complete.dto.js';
import {
  PipelineDto,
  PipelineIdParamDto,
  PipelineListDto,
  PipelineListQueryDto,
} from './dto/pipeline.dto.js';
import { RUN_ID, ValidateRequestDto, ValidateResponseDto } from './dto/validate.dto.js';
import { listedPipeline, PipelineRegistry } from './pipeline-registry.js';
import { PipelineValidatorError, PipelineValidatorErrorCode } from './pipeline-validator.errors.js';
import { PipelineValidatorService } from './pipeline-validator.service.js';

const IDEMPOTENCY_KEY_MAX = 255;

const invalid = (field: string, message: string): PlatformError => validationError([{ field, message }]);

function runRef(r: {
  reservation_id?: string;
  pipeline_logging_id?: string;
  reservation_date?: string;
}): RunRef {
  return {
    reservationId: r.reservation_id,
    runId: r.pipeline_logging_id,
    reservationDate: r.reservation_date,
  };
}

@ApiTags('pipeline-validator')
@Controller('api/v1/validator')
export class PipelineValidatorController {
  constructor(
    private readonly registry: PipelineRegistry,
    private readonly validator: PipelineValidatorService,
    private readonly auth: AuthService,
  ) {}

  @Get('pipelines')
  @Public()
  @ApiOperation({ summary: 'The pipeline registry' })
  @ApiOkResponse({ type: PipelineListDto })
  list(@Query() q: PipelineListQueryDto): PipelineListDto {
    const provider = q.provider?.toLowerCase();
    const pipelines = this.registry.entries
      .filter((e) => !q.enabled_only || e.enabled)
      .filter((e) => provider === undefined || e.provider.toLowerCase() === provider)
      .map(listedPipeline);
    return { success: true, pipelines, total: pipelines.length };
  }

  @Get('pipelines/:pipeline_id')
  @Public()
  @ApiOperation({ summary: 'One registry entry, by exact id' })
  @ApiOkResponse({ type: PipelineDto })
  @ApiNotFoundResponse({ description: 'PIPELINE_NOT_FOUND' })
  get(@Param() { pipeline_id }: PipelineIdParamDto): PipelineDto {
    const entry = this.registry.get(pipeline_id);
    if (!entry)
      throw new PipelineValidatorError(
        PipelineValidatorErrorCode.PipelineNotFound,
        `Pipeline '${pipeline_id}' not found`,
      );
    return listedPipeline(entry);
  }

  @Post('validate/:org')
  @HttpCode(200)
  @OrgKeyAuth('pipelines:execute')
  @PipelineServiceLimit('starts')
  @ApiOperation({
    summary: 'Check a run may start and reserve its quota slot; refusals are 200 with valid: false',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'The run id when the body has none',
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX, pattern: RUN_ID.source },
  })
  @ApiHeader({
    name: 'X-CA-Root-Key',
    required: false,
    description:
      'The platform root key, with the org key: required for include_credentials (the pipeline service)',
  })
  @ApiOkResponse({
    type: ValidateResponseDto,
    // With a QUOTA_EXCEEDED refusal (valid: false): when the limit frees, as retry_after_seconds.
    headers: headerRefs('Retry-After'),
  })
  @ApiForbiddenResponse({
    description: 'CREDENTIALS_FORBIDDEN: include_credentials without the root key; nothing was reserved',
  })
  @ApiServiceUnavailableResponse({ description: 'TENANCY_DB_UNAVAILABLE: nothing was admitted' })
  async validate(
    @Param() { org }: OrgParamDto,
    @Body() body: ValidateRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ValidateResponseDto> {
    if (idempotencyKey !== undefined && !RUN_ID.test(idempotencyKey))
      throw invalid(
        'Idempotency-Key',
        `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} printable characters without spaces.`,
      );
    // Both are the run id: two different values name two runs, and neither may be silently dropped.
    if (
      idempotencyKey !== undefined &&
      typeof body.pipeline_logging_id === 'string' &&
      body.pipeline_logging_id !== idempotencyKey
    ) {
      const message =
        `Idempotency-Key '${idempotencyKey}' and pipeline_logging_id '${body.pipeline_logging_id}' ` +
        'name two different runs: send one of them, or the same run id in both.';
      throw validationError([
        { field: 'Idempotency-Key', message },
        { field: 'pipeline_logging_id', message },
      ]);
    }
    // Every org key may validate, but decrypted provider secrets go to the platform's own pipeline
    // service only, which proves it with the root key it also holds (checked before any reservation).
    if (body.include_credentials && !this.auth.carriesRootKey(reply.request))
      throw new PipelineValidatorError(
        PipelineValidatorErrorCode.CredentialsForbidden,
        'include_credentials is for the pipeline service: send the platform root key (X-CA-Root-Key) ' +
          'with the org key, or leave include_credentials out.',
        { extra: { field: 'include_credentials' } },
      );
    const result = await this.validator.validate(org, body, idempotencyKey);
    if (result.retry_after_seconds !== null) reply.header('Retry-After', String(result.retry_after_seconds));
    return result;
  }

  @Post('complete/:org')
  @HttpCode(200)
  @OrgKeyOrRootAuth('pipelines:execute')
  @PipelineServiceLimit('outcomes')
  @ApiOperation({
    summary:
      'Record a run outcome once (SUCCESS or FAILED); fields in the query (as the pipeline service sends them) or the body',
  })
  @ApiOkResponse({ type: CompleteResponseDto })
  @ApiNotFoundResponse({ description: 'RESERVATION_NOT_FOUND' })
  async complete(
    @Param() { org }: OrgParamDto,
    @Query() query: CompleteRequestDto,
    @Body() body: CompleteRequestDto,
  ): Promise<CompleteResponseDto> {
    const req = queryAndBody(query, body);
    if (!req.pipeline_status)
      throw invalid('pipeline_status', 'pipeline_status is required (SUCCESS or FAILED)');
    // A FAILED report naming no run (the pipeline service's cleanup of its stuck runs) completes the
    // latest reservation past its expiry, 404 when there is none; a success must say which run.
    if (
      !req.reservation_id &&
      !req.pipeline_logging_id &&
      !req.reservation_date &&
      req.pipeline_status !== 'FAILED'
    )
      throw invalid(
        'reservation_id',
        'Name the run: reservation_id, pipeline_logging_id or reservation_date (only a FAILED report of a stuck run may name none)',
      );
    const done = await this.validator.complete(org, runRef(req), req.pipeline_status);
    const repeat = done.outcome === 'already_completed';
    return {
      success: true,
      org_slug: org,
      pipeline_status: done.status,
      reservation_date: done.reservationDate,
      reservation_id: done.reservationId,
      run_id: done.runId,
      pipeline_logging_id: done.runId,
      pipeline_id: done.pipelineId,
      already_completed: repeat,
      completed_at: done.completedAt,
      message: repeat
        ? `Already completed as ${done.status} at ${done.completedAt}; nothing changed`
        : 'Usage counters updated',
    };
  }

  @Post('heartbeat/:org')
  @HttpCode(200)
  @OrgKeyOrRootAuth('pipelines:execute')
  @PipelineServiceLimit('outcomes')
  @ApiOperation({
    summary: "Keep a running pipeline's slot for at least ttl_seconds from now; a hold is never shortened",
  })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiNotFoundResponse({ description: 'RESERVATION_NOT_FOUND' })
  // A client generated from the document must know this answer: the run's slot is gone.
  @ApiConflictResponse({
    description:
      'RESERVATION_NOT_LIVE: the run was completed or its reservation expired (reservation_status says which); ' +
      'an expired run is validated again with the same run id',
  })
  async heartbeat(
    @Param() { org }: OrgParamDto,
    @Body() body: HeartbeatRequestDto,
  ): Promise<HeartbeatResponseDto> {
    if (!body.reservation_id && !body.pipeline_logging_id)
      throw invalid('reservation_id', 'reservation_id or pipeline_logging_id is required');
    const beat = await this.validator.heartbeat(org, runRef(body), body.ttl_seconds);
    return {
      success: true,
      org_slug: org,
      reservation_id: beat.reservationId,
      run_id: beat.runId,
      expires_at: beat.expiresAt,
    };
  }
}

/**
 * The fields of the query and of the body together (a body field absent or null leaves the query's
 * in place). A field in both with two values is 422 naming it: which run, or which outcome, would
 * otherwise be a guess (the body's was taken, completing one run while the one the query named
 * kept its slot).
 */
function queryAndBody<T extends object>(query: T, body: T): Partial<T> {
  const merged: Partial<T> = { ...query };
  const conflicts = [];
  for (const [field, value] of Object.entries(body) as [keyof T & string, T[keyof T & string]][]) {
    if (value === undefined || value === null) continue;
    const fromQuery = query[field];
    if (fromQuery !== undefined && fromQuery !== null && fromQuery !== value)
      conflicts.push({
        field,
        message: `${field} is ${String(fromQuery)} in the query and ${String(value)} in the body: send it once, or the same value in both`,
      });
    merged[field] = value;
  }
  if (conflicts.length) throw validationError(conflicts);
  return merged;
}
