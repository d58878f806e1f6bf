import { isUtf8 } from 'node:buffer';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';
import { prototypeFieldsError } from '../errors/validation.js';
import { nonUtf8Charset } from './content-encoding.js';

/**
 * A POST with `Content-Type: application/json` and no body is a request without a body, not
 * malformed JSON: the pipeline service reports completions that way (everything in the query
 * string), and a route that needs a body then answers 422 naming its fields. Fastify's own JSON
 * parsing (its prototype-poisoning rules and the body limit) does everything else.
 */
export function acceptEmptyJsonBodies(app: NestFastifyApplication, fastify: FastifyInstance): void {
  // JSON is the one body this API reads: Fastify's default text/plain parser handed a string to
  // DTOs that then answered 422 "must be an object", where every other media type is 415.
  fastify.removeContentTypeParser('text/plain');
  const { onProtoPoisoning, onConstructorPoisoning, bodyLimit } = fastify.initialConfig;
  const json = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  // Through Nest, which otherwise installs its own JSON parser at init (over this one).
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    const charset = nonUtf8Charset(request.headers['content-type']);
    if (charset !== null) {
      // Read as UTF-8 it would be garbage (or worse, a different text): JSON is UTF-8 (RFC 8259 §8.1).
      done(
        new PlatformError(
          PlatformErrorCode.UnsupportedMediaType,
          `JSON bodies are UTF-8; charset=${charset.slice(0, 40)} is not accepted.`,
        ),
        undefined,
      );
      return;
    }
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    if (!isUtf8(body)) {
      // Decoded anyway, each bad byte would become U+FFFD: text the client never sent, stored.
      done(
        new PlatformError(
          PlatformErrorCode.MalformedJson,
          'The request body is not valid UTF-8, so it is not JSON (RFC 8259 §8.1).',
        ),
        undefined,
      );
      return;
    }
    const text = body.toString('utf8');
    json(request, text, (err, value) => {
      // Refused for a `__proto__` or `constructor.prototype` key: say which field, as for any unknown one.
      if (err) done(prototypeFieldsError(text) ?? err, undefined);
      else done(null, value);
    });
  });
}
