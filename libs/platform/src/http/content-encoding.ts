import type { FastifyRequest } from 'fastify';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';

/**
 * `@RouteConfig` of a route that reads compressed request bodies itself, naming the codings it
 * reads: `@RouteConfig({ [CONTENT_ENCODINGS]: ['gzip'] })`. Every other route takes bodies as sent.
 */
export const CONTENT_ENCODINGS = 'contentEncodings';

/** A coding name as the header carries it, lower-cased; `identity` (no coding) is left out. */
function codingsOf(header: string): string[] {
  const codings: string[] = [];
  for (const part of header.split(',')) {
    const coding = part.trim().toLowerCase();
    if (coding !== '' && coding !== 'identity') codings.push(coding);
  }
  return codings;
}

/**
 * A request body in a Content-Encoding its route does not read is 415 with `Accept-Encoding`
 * (RFC 9110 §15.5.16): parsing gzip bytes as JSON would answer "not valid JSON", which sends the
 * client looking in the wrong place. Null when the body can be read.
 */
export function unsupportedEncoding(request: FastifyRequest): PlatformError | null {
  const header = request.headers['content-encoding'];
  if (header === undefined) return null;
  const codings = codingsOf(header);
  if (codings.length === 0) return null;
  // Read only here: Fastify builds the route's options object on each access.
  const config = request.routeOptions.config as { [CONTENT_ENCODINGS]?: readonly string[] } | undefined;
  const accepted = config?.[CONTENT_ENCODINGS] ?? [];
  const refused = codings.filter((c) => !accepted.includes(c));
  if (refused.length === 0) return null;
  return new PlatformError(
    PlatformErrorCode.UnsupportedMediaType,
    `Content-Encoding ${refused.join(', ')} is not accepted here; send the body uncompressed` +
      (accepted.length ? ` or as ${accepted.join(', ')}.` : '.'),
    { headers: { 'Accept-Encoding': accepted.length ? [...accepted, 'identity'].join(', ') : 'identity' } },
  );
}

/** Charsets whose text reads the same as UTF-8 (ASCII is a subset). */
const UTF8_CHARSETS: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * The `charset` a Content-Type declares (lower-cased, unquoted) when it is not UTF-8 or a subset of
 * it; null when it declares none or one that reads as UTF-8. Text bodies are read as UTF-8 only.
 */
export function nonUtf8Charset(contentType: string | undefined): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  const charset = match ? match[1]!.toLowerCase() : null;
  return charset === null || UTF8_CHARSETS.has(charset) ? null : charset;
}
