import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppConfig, type ShutdownRouteConfig, ShutdownState } from '#platform';
import { HealthDto, LiveDto, RootInfoDto, ShuttingDownDto } from './dto/health.dto.js';
import { versionInfo } from './version-info.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A probe served by Fastify itself: public on purpose, no guard, no DTO, no rate limit. */
export interface ProbeRoute {
  method: 'GET';
  url: string;
  operationId: string;
  description: string;
  /** Answers while the instance shuts down (every other route is refused with a 503 then). */
  answersWhileClosing: boolean;
  /** The body's schema (HealthController names these DTOs as extra models). */
  body: Type<unknown>;
}

/**
 * `/`, `/health` and `/health/live` answer without touching anything, and orchestrators and load
 * balancers poll them all the time: they are Fastify routes, outside Nest's router, guard and
 * interceptor pipeline, which costs several times the rest of such a request. They still go
 * through the platform's Fastify hooks (request id, security headers, CORS, metrics, access log).
 * Their bodies never change while the process runs, so each is serialized once. `/health/ready`
 * checks the engines and stays in HealthController, like `/metrics`.
 */
@Injectable()
export class HealthProbes implements OnModuleInit {
  readonly routes: readonly ProbeRoute[] = [
    {
      method: 'GET',
      url: '/',
      operationId: 'HealthController_root',
      description: 'Service and version information',
      answersWhileClosing: false,
      body: RootInfoDto,
    },
    {
      method: 'GET',
      url: '/health',
      operationId: 'HealthController_healthz',
      description: 'The process is up',
      answersWhileClosing: false,
      body: HealthDto,
    },
    {
      method: 'GET',
      url: '/health/live',
      operationId: 'HealthController_live',
      description: 'Liveness; 503 while shutting down',
      answersWhileClosing: true,
      body: LiveDto,
    },
  ];

  /**
   * Routes polled by machines (orchestrator probes, the metrics scraper): their access-log lines
   * are written at debug, so a pod probed every few seconds does not fill the log at info.
   */
  get quietRoutes(): string[] {
    return [...this.routes.map((r) => r.url), '/health/ready', '/metrics'];
  }

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly shutdown: ShutdownState,
  ) {}

  onModuleInit(): void {
    // Absent in an application context without HTTP (e.g. a CLI): nothing to serve there.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    const version = versionInfo(this.config.env);
    const environment = this.config.environment;
    const root = JSON.stringify({
      message: 'FinOps API',
      ...version,
      environment,
      docs: '/docs',
      openapi: '/openapi.json',
    });
    const healthy = JSON.stringify({ status: 'healthy', ...version, environment });
    const alive = JSON.stringify({ status: 'alive', service: version.service, version: version.version });
    const shuttingDown = JSON.stringify({
      status: 'shutting_down',
      service: version.service,
      message: 'Shutting down; finishing in-flight requests',
    });
    const send = (reply: FastifyReply, body: string): void => {
      reply.header('content-type', JSON_TYPE).send(body);
    };
    const handlers: Record<string, (reply: FastifyReply) => void> = {
      '/': (reply) => send(reply, root),
      '/health': (reply) => send(reply, healthy),
      '/health/live': (reply) =>
        this.shutdown.shuttingDown ? send(reply.code(503), shuttingDown) : send(reply, alive),
    };
    // Synchronous handlers: no promise per request. Liveness answers while the server closes.
    for (const r of this.routes) {
      const handle = handlers[r.url];
      const config: ShutdownRouteConfig = { answersWhileClosing: r.answersWhileClosing };
      fastify.route({ method: r.method, url: r.url, config, handler: (_request, reply) => handle(reply) });
    }
  }

  /** The probes' entries of the OpenAPI document, as Nest's generator wrote them for the controller. */
  openApiPaths(): OpenAPIObject['paths'] {
    const json = (body: Type<unknown>) => ({ 'application/json': { schema: { $ref: getSchemaPath(body) } } });
    return Object.fromEntries(
      this.routes.map((r) => [
        r.url,
        {
          [r.method.toLowerCase()]: {
            operationId: r.operationId,
            parameters: [],
            responses: {
              '200': { description: r.description, content: json(r.body) },
              ...(r.answersWhileClosing
                ? { '503': { description: 'The instance is shutting down', content: json(ShuttingDownDto) } }
                : {}),
            },
            tags: ['health'],
          },
        },
      ]),
    );
  }
}
