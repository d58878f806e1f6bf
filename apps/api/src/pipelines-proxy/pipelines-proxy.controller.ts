import { randomUUID } from 'node:crypto';
import { applyDecorators, Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AuthContext,
  CurrentAuth,
  OrgKeyAuth,
  OrgKeyOrRootAuth,
  PlatformError,
  PlatformErrorCode,
} from '#platform';
import {
  CacheMetricsDto,
  RunWithCategoryParamsDto,
  TriggerParamsDto,
  TriggerPipelineRequestDto,
  TriggerPipelineResponseDto,
} from './dto/pipeline-trigger.dto.js';
import { headerRefs, TRIGGER_LIMIT_HEADERS } from '../openapi/response-headers.js';
import { PipelinesProxyService } from './pipelines-proxy.service.js';
import { TriggerRateLimiter } from './trigger-rate-limiter.js';

const IDEMPOTENCY_HEADER = 'idempotency-key';
const MAX_IDEMPOTENCY_KEY = 255;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Printable ASCII only: Node reads a header's other bytes as Latin-1 and writes the outgoing one
 * with the body in UTF-8, so such a key reached the pipeline service as another key than the
 * caller's (and the one echoed back).
 */
const IDEMPOTENCY_KEY = new RegExp(`^[\\x20-\\x7e]{1,${MAX_IDEMPOTENCY_KEY}}$`);

/** The caller's Idempotency-Key, a 422 naming the header when it is empty, too long or not printable ASCII. */
function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const key = header(req, IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (IDEMPOTENCY_KEY.test(key)) return key;
  const message = `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} printable ASCII characters.`;
  throw new PlatformError(PlatformErrorCode.ValidationFailed, message, {
    extra: { errors: [{ field: 'Idempotency-Key', message }] },
  });
}

/** What the pipeline service's own non-2xx answers become (codeForUpstreamStatus). */
const UPSTREAM_REFUSALS: [number, string][] = [
  [400, 'PIPELINE_REQUEST_REJECTED: the pipeline service refused the request (or answered another 4xx)'],
  [401, "PIPELINE_UNAUTHORIZED: the pipeline service refused the org's key"],
  [403, 'PIPELINE_FORBIDDEN: the pipeline service refused the run'],
  [404, 'PIPELINE_NOT_FOUND: the pipeline service knows no such pipeline'],
  [409, 'PIPELINE_CONFLICT: the pipeline service reported a conflict (such as the run already going)'],
  [422, 'PIPELINE_VALIDATION_FAILED: the pipeline service refused the parameters'],
  [500, 'PIPELINE_SERVICE_ERROR: the pipeline service failed'],
];

const TriggerDocs = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Forwarded to the pipeline service on every attempt; generated (and echoed) when absent',
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_IDEMPOTENCY_KEY,
        pattern: IDEMPOTENCY_KEY.source,
      },
    }),
    ApiOkResponse({
      type: TriggerPipelineResponseDto,
      headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key'),
    }),
    // The pipeline service's refusals, each under its own status: its reason is the detail.
    ...UPSTREAM_REFUSALS.map(([status, description]) =>
      ApiResponse({ status, description, headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key') }),
    ),
    ApiTooManyRequestsResponse({
      description:
        "RATE_LIMITED (this API, or the org's own trigger limit: X-RateLimit-*) or PIPELINE_RATE_LIMITED (quota)",
      headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key'),
    }),
    ApiResponse({
      status: 502,
      description:
        'PIPELINE_SERVICE_UNREACHABLE (not started), or PIPELINE_SERVICE_BAD_GATEWAY for an answer that is no ' +
        'JSON object, a 2xx whose pipeline_logging_id, pipeline_id or status is no short string (`field` names ' +
        'it), or a connection lost after sending (the run may have started)',
      headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key'),
    }),
    ApiServiceUnavailableResponse({
      description:
        'CIRCUIT_OPEN, with Retry-After; or PIPELINE_SERVICE_UNAVAILABLE: the pipeline service answered 503 (its Retry-After)',
      headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key'),
    }),
    ApiResponse({
      status: 504,
      description: 'PIPELINE_SERVICE_TIMEOUT (not retried)',
      headers: headerRefs(...TRIGGER_LIMIT_HEADERS, 'Idempotency-Key'),
    }),
  );

/** Starts pipelines on the pipeline service with the caller's org key. */
@ApiTags('pipelines')
@Controller('api/v1/pipelines')
export class PipelinesProxyController {
  constructor(
    private readonly proxy: PipelinesProxyService,
    private readonly limiter: TriggerRateLimiter,
  ) {}

  @Get('metrics/cache')
  @OrgKeyOrRootAuth('pipelines:read')
  @ApiOkResponse({
    type: CacheMetricsDto,
    description:
      "This instance's pipeline-status cache: the key's org's lookups, or every org's with the root key",
  })
  metrics(@CurrentAuth() auth: AuthContext): CacheMetricsDto {
    return this.proxy.cacheMetrics(auth.kind === 'org' ? auth.principal.orgSlug : undefined);
  }

  /** `run/...` is the path the pipeline service itself uses; both start the same run. */
  @Post(['trigger/:org/:provider/:domain/:pipeline', 'run/:org/:provider/:domain/:pipeline'])
  @HttpCode(200)
  @OrgKeyAuth('pipelines:execute')
  @TriggerDocs()
  trigger(
    @Param() p: TriggerParamsDto,
    @Body() body: TriggerPipelineRequestDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TriggerPipelineResponseDto> {
    return this.forward(p.org, [p.provider, p.domain, p.pipeline], body, req, reply);
  }

  @Post('run/:org/:category/:provider/:domain/:pipeline')
  @HttpCode(200)
  @OrgKeyAuth('pipelines:execute')
  @TriggerDocs()
  runWithCategory(
    @Param() p: RunWithCategoryParamsDto,
    @Body() body: TriggerPipelineRequestDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TriggerPipelineResponseDto> {
    return this.forward(p.org, [p.category, p.provider, p.domain, p.pipeline], body, req, reply);
  }

  private async forward(
    org: string,
    segments: string[],
    body: TriggerPipelineRequestDto | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<TriggerPipelineResponseDto> {
    // Validated before counting: a request refused for its input takes nothing from the allowance.
    const idempotencyKey = idempotencyKeyOf(req) ?? randomUUID();
    const allowance = await this.limiter.hit(org);
    reply.header('X-RateLimit-Limit', String(allowance.limit));
    reply.header('X-RateLimit-Remaining', String(allowance.remaining));
    reply.header('X-RateLimit-Reset', String(allowance.resetAt));
    if (!allowance.allowed)
      throw new PlatformError(
        PlatformErrorCode.RateLimited,
        `Rate limit of ${allowance.limit} pipeline triggers per minute exceeded; retry in ${allowance.retryAfterSeconds} s.`,
        {
          headers: { 'Retry-After': String(allowance.retryAfterSeconds) },
          extra: { retry_after_seconds: allowance.retryAfterSeconds, limit: allowance.limit },
        },
      );
    reply.header('Idempotency-Key', idempotencyKey);
    return this.proxy.trigger({
      org,
      segments,
      // The guard has verified this key for `org`; the run is made with the caller's own key.
      apiKey: header(req, 'x-api-key') ?? '',
      requestId: String(req.id),
      idempotencyKey,
      dates: { date: body?.date, start_date: body?.start_date, end_date: body?.end_date },
    });
  }
}
