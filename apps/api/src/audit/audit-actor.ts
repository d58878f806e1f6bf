import { isIP } from 'node:net';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { scrubSecrets } from '#platform';

/**
 * A dashboard user id as the audit log keeps it (a UUID, an email, `auth0|…`): at most 255
 * characters, no control characters and no `<` or `>`, so what the dashboard shows of the log is
 * never markup. Anything else is recorded as no user: audit writes are best effort and never fail
 * the request (the reference's rule), and a cut or cleaned id could name another user.
 */
// eslint-disable-next-line no-control-regex
const USER_ID = /^[^\u0000-\u001f\u007f<>]{1,255}$/;
const USER_AGENT_MAX = 512;

/** Who made a request, as the audit log records it. */
export interface AuditActor {
  apiKeyId: string | null;
  /** The dashboard user from `X-User-ID`; null when absent, blank or not an id (see USER_ID). */
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
  const sent = header(request, 'x-user-id')?.trim();
  // An id that holds a key or a token (a client that sent its key as the user) is no user: the
  // row must not keep the secret, and a masked id could name another user.
  const userId = sent && USER_ID.test(sent) && scrubSecrets(sent) === sent ? sent : null;
  // Masked like every other text of the row (details, error): a script may put its key in its
  // user agent, and the audit log is kept and shown long after the request.
  const userAgent = header(request, 'user-agent');
  const auth = request.auth;
  return {
    apiKeyId: auth?.kind === 'org' ? auth.principal.apiKeyId : null,
    userId,
    requestId: String(request.id),
    // With TRUST_PROXY_HOPS set, `ip` is an X-Forwarded-For entry: any text a client reaching the
    // instance past its proxy sends (a key, markup, 8 KB). Only an address is an address.
    ipAddress: request.ip && isIP(request.ip) ? request.ip : null,
    userAgent: userAgent ? scrubSecrets(userAgent).slice(0, USER_AGENT_MAX) : null,
  };
}

/** The caller of this request for the audit log (use after the auth guard, so the key id is known). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor =>
  auditActorFrom(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
