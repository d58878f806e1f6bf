import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-ID when it is a sane token (no log injection), else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const v = req.headers['x-request-id'];
  const given = Array.isArray(v) ? v[0] : v;
  return given && SANE.test(given) ? given : randomUUID();
}
