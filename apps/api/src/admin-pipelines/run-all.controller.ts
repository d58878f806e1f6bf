import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { RootKeyAuth } from '#platform';
import { idempotencyKeyOf } from '../idempotency/idempotency.interceptor.js';
import { bodyOrgSlug, Idempotent } from '../idempotency/idempotent.decorator.js';
import { RunAllRequestDto, RunAllResponseDto } from './dto/run-all.dto.js';
import { RunAllService } from './run-all.service.js';

@ApiTags('admin')
@RootKeyAuth()
@Controller('api/v1/admin/pipelines')
export class RunAllController {
  constructor(private readonly runAll: RunAllService) {}

  @Post('run-all')
  @HttpCode(200)
  // A scheduler that fires twice, or a caller that timed out and retries, gets the first batch's
  // answer rather than starting every org's pipelines again; while that batch runs, a 409.
  @Idempotent({ orgSlugFrom: bodyOrgSlug })
  @ApiOkResponse({ type: RunAllResponseDto })
  @ApiNotFoundResponse({ description: 'ORG_NOT_FOUND: org_slug is not an ACTIVE org' })
  run(@Body() body: RunAllRequestDto, @Req() req: FastifyRequest): Promise<RunAllResponseDto> {
    // The request is read: from here the server is the silent side, calling the pipeline service
    // org after org, for longer than CONNECTION_IDLE_TIMEOUT_MS (meant for a client that stops
    // sending) in a large batch. That timeout would hang up on the caller before the results, the
    // batch still running; once answered, Node applies its keep-alive timeout to the connection.
    // (An injected request's stand-in socket has no timeout to lift.)
    const socket: Partial<Pick<Socket, 'setTimeout'>> | undefined = req.raw.socket;
    socket?.setTimeout?.(0);
    return this.runAll.runAll(body, String(req.id), idempotencyKeyOf(req));
  }
}
