import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { validationError } from '#platform';

/**
 * A dashboard user id (a UUID, an email, `auth0|…`): printable ASCII without spaces, quotes,
 * angle brackets or backslashes, so what the audit log stores and the dashboard shows is never
 * markup. The reference refused such header values (400 INVALID_HEADERS).
 */
const USER_ID = /^[!#-&(-;=?-[\]-_a-~]{1,255}$/;
const USER_ID_MESSAGE =
  'X-User-ID must be 1-255 printable ASCII characters without spaces, quotes, <, > or backslashes';
const USER_AGENT_MAX = 512;

/** Who made a request, as the audit log records it. */
export interface AuditActor {
  apiKeyId: string | null;
  /** The dashboard user from `X-User-ID`; null when absent or blank (any other malformed value is 422). */
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
  const userId = header(request, 'x-user-id')?.trim() || null;
  if (userId !== null && !USER_ID.test(userId))
    throw validationError([{ field: 'X-User-ID', message: USER_ID_MESSAGE }]);
  const userAgent = header(request, 'user-agent');
  const auth = request.auth;
  return {
    apiKeyId: auth?.kind === 'org' ? auth.principal.apiKeyId : null,
    userId,
    requestId: String(request.id),
    ipAddress: request.ip || null,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX) : null,
  };
}

/** The caller of this request for the audit log (use after the auth guard, so the key id is known). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor =>
  auditActorFrom(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
