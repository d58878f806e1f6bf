import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

const USER_ID_MAX = 255;
const USER_AGENT_MAX = 512;

/** Who made a request, as the audit log records it. */
export interface AuditActor {
  apiKeyId: string | null;
  /** The dashboard user from `X-User-ID`; null when absent, blank or longer than 255 characters. */
  userId: string | null;
  requestId: string;
  ipAddress: string | null;
  userAgent: string | null;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function auditActorFrom(request: FastifyRequest): AuditActor {
  const userId = header(request, 'x-user-id')?.trim();
  const userAgent = header(request, 'user-agent');
  const auth = request.auth;
  return {
    apiKeyId: auth?.kind === 'org' ? auth.principal.apiKeyId : null,
    // An over-long id is not truncated: a cut id could name another user.
    userId: userId && userId.length <= USER_ID_MAX ? userId : null,
    requestId: String(request.id),
    ipAddress: request.ip || null,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX) : null,
  };
}

/** The caller of this request for the audit log (use after the auth guard, so the key id is known). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor =>
  auditActorFrom(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
