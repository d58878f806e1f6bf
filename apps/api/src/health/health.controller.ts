import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig, HttpMetrics, PROBLEM_CONTENT_TYPE, problemType, Public, SkipRateLimits } from '#platform';
import { HealthService } from './health.service.js';
import { ShutdownState } from './shutdown-state.js';
import { versionInfo } from './version-info.js';

@ApiTags('health')
@Public()
@SkipRateLimits()
@Controller()
export class HealthController {
  private readonly version = versionInfo();

  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthService,
    private readonly shutdown: ShutdownState,
    private readonly metrics: HttpMetrics,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'Service and version information' })
  root() {
    return {
      message: 'FinOps API',
      ...this.version,
      environment: this.config.environment,
      docs: '/docs',
      openapi: '/openapi.json',
    };
  }

  @Get('health')
  @ApiOkResponse({ description: 'The process is up' })
  healthz() {
    return { status: 'healthy', ...this.version, environment: this.config.environment };
  }

  @Get('health/live')
  @ApiOkResponse({ description: 'Liveness; 503 while shutting down' })
  live(@Res({ passthrough: true }) reply: FastifyReply) {
    if (this.shutdown.shuttingDown) {
      reply.status(503);
      return {
        status: 'shutting_down',
        service: this.version.service,
        message: 'Shutting down; finishing in-flight requests',
      };
    }
    return { status: 'alive', service: this.version.service, version: this.version.version };
  }

  @Get('health/ready')
  @ApiOkResponse({
    description: 'Warehouse and tenancy DB answer within the timeout; else 503 naming the failing check',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = await this.health.readiness();
    const failing = Object.entries(checks)
      .filter(([, c]) => c.status !== 'ok')
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
  @ApiExcludeEndpoint()
  @HttpCode(200)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.render();
  }
}
