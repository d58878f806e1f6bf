import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { scrubSecrets } from '../logging/logger.js';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's X-Request-ID when it is a sane token (no log injection) that holds no key or token,
 * else a new UUID. A request id is kept where secrets never go: in the audit log's rows, which are
 * listed long after the request, and in every log line of the request. A client that sent its key
 * in the wrong header must not leave it there.
 */
export function requestIdFor(req: IncomingMessage): string {
  const v = req.headers['x-request-id'];
  const given = Array.isArray(v) ? v[0] : v;
  return given && SANE.test(given) && scrubSecrets(given) === given ? given : randomUUID();
}
