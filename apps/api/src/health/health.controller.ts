import { Controller, Get, Header, HttpCode, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AppConfig,
  HttpMetrics,
  PlatformError,
  PlatformErrorCode,
  PROBLEM_CONTENT_TYPE,
  problemType,
  Public,
  secretMatches,
  SkipRateLimits,
} from '#platform';
import {
  HealthDto,
  LiveDto,
  NotReadyProblemDto,
  ReadyDto,
  RootInfoDto,
  ShuttingDownDto,
} from './dto/health.dto.js';
import { ADVISORY_CHECKS, HealthService } from './health.service.js';
import { type VersionInfo, versionInfo } from './version-info.js';

/** Prometheus' text exposition format. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4';

/** `/`, `/health` and `/health/live` are Fastify routes (see HealthProbes). */
@ApiTags('health')
// The bodies of the probes HealthProbes serves (and documents) outside Nest.
@ApiExtraModels(RootInfoDto, HealthDto, LiveDto, ShuttingDownDto, NotReadyProblemDto)
@Public()
@SkipRateLimits()
@Controller()
export class HealthController {
  private readonly version: VersionInfo;

  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthService,
    private readonly metrics: HttpMetrics,
  ) {
    this.version = versionInfo(config.env);
  }

  @Get('health/ready')
  @ApiOkResponse({
    type: ReadyDto,
    description:
      'Warehouse and tenancy DB answer within the timeout; else 503 naming the failing check. ' +
      'The encryption key is checked and reported too, without deciding readiness',
  })
  @ApiServiceUnavailableResponse({
    description: 'NOT_READY: a deciding check fails (failing names it), with every check',
    content: {
      'application/problem+json': {
        // Or, while the instance shuts down, the plain problem every route answers then.
        schema: {
          anyOf: [{ $ref: getSchemaPath(NotReadyProblemDto) }, { $ref: '#/components/schemas/Problem' }],
        },
      },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = await this.health.readiness();
    const failing = Object.entries(checks)
      .filter(([name, c]) => c.status !== 'ok' && !ADVISORY_CHECKS.has(name))
      .map(([name]) => name);
    const body = { ...this.version, environment: this.config.environment, checks };
    if (!failing.length) return { status: 'ready', ...body };
    reply.status(503).header('content-type', PROBLEM_CONTENT_TYPE);
    return {
      type: problemType('NOT_READY'),
      title: 'Service not ready',
      status: 503,
      detail: `Failing check(s): ${failing.join(', ')}.`,
      code: 'NOT_READY',
      request_id: String(reply.request.id),
      failing,
      ...body,
    };
  }

  @Get('metrics')
  @HttpCode(200)
  @Header('content-type', `${PROMETHEUS_TEXT}; charset=utf-8`)
  @ApiOkResponse({
    description:
      'Prometheus text exposition: request counts and latency histograms by method, route and status, ' +
      "the process's resources, and each cost cache level's counters and occupancy (cost_cache_*). " +
      'No rate limit; public unless METRICS_TOKEN is set, then for `Authorization: Bearer <METRICS_TOKEN>` only ' +
      '(401 without it, 403 for another token)',
    content: { [PROMETHEUS_TEXT]: { schema: { type: 'string' } } },
  })
  @ApiUnauthorizedResponse({
    description: 'AUTH_REQUIRED: METRICS_TOKEN is set and no Bearer token was sent',
  })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: METRICS_TOKEN is set and the Bearer token is another' })
  metricsText(@Req() request: FastifyRequest): Promise<string> {
    const token = this.config.env.METRICS_TOKEN;
    if (token !== undefined) {
      const given = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined)
        throw new PlatformError(
          PlatformErrorCode.AuthRequired,
          'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.',
          { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } },
        );
      if (!secretMatches(given, token))
        throw new PlatformError(PlatformErrorCode.Forbidden, 'The metrics token is not valid.');
    }
    return this.metrics.render();
  }
}
