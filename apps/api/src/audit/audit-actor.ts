import { isIP } from 'node:net';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { scrubSecrets } from '#platform';

/**
 * A dashboard user id as the audit log keeps it (a UUID, an email, `auth0|…`): at most 255
 * characters, no control characters (C0, DEL or C1: 0x9B is a terminal's escape) and no `<` or
 * `>`, so what the dashboard shows of the log is never markup. Anything else is recorded as no
 * user: audit writes are best effort and never fail the request (the reference's rule), and a cut
 * or cleaned id could name another user.
 */
// eslint-disable-next-line no-control-regex
const USER_ID = /^[^\u0000-\u001f\u007f-\u009f<>]{1,255}$/;
const NOT_ASCII = /[\u0080-\uffff]/;
/** A character no header byte reads as (only a request made in-process, such as app.inject, has one). */
const NOT_A_BYTE = /[\u0100-\uffff]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
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

/**
 * The `X-User-ID` as the client meant it. Node reads header bytes a character a byte (latin1), so
 * an id sent as UTF-8 (curl, Go, Python) came as `josÃ©`, naming another user: bytes that are UTF-8
 * are read as such, others (a fetch's `é`, the one byte 0xE9) kept. Sent twice, Node joins the
 * lines (`alice, mallory`): no one user, so none.
 */
function sentUserId(request: FastifyRequest): string | undefined {
  const raw = request.raw.rawHeaders;
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'x-user-id') lines++;
  if (lines > 1) return undefined;
  const sent = header(request, 'x-user-id');
  if (sent === undefined || !NOT_ASCII.test(sent) || NOT_A_BYTE.test(sent)) return sent;
  try {
    return UTF8.decode(Buffer.from(sent, 'latin1'));
  } catch {
    return sent;
  }
}

export function auditActorFrom(request: FastifyRequest): AuditActor {
  const sent = sentUserId(request)?.trim();
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
