import type { HeaderObject, ReferenceObject } from '@nestjs/swagger';
import { THROTTLER_NAMES } from '#platform';

const text = (description: string): HeaderObject => ({ description, schema: { type: 'string' } });
const seconds = (description: string): HeaderObject => ({
  description,
  schema: { type: 'integer', minimum: 0 },
});

/** The response headers the API sets, by name, as components.headers holds them. */
export const RESPONSE_HEADERS: Record<string, HeaderObject> = {
  'X-Request-ID': text(
    "Every response: the request's id (the caller's X-Request-ID when it sent a valid one), also the `request_id` of a problem and of the log lines",
  ),
  'X-API-Version': text('Every response: the release answering (the `version` of /health)'),
  'Retry-After': seconds(
    'Seconds to wait before retrying: on a 429, on a 503 (shutting down, an open circuit, an upstream that said so), on a 409 of a lock or a request still in progress',
  ),
  'WWW-Authenticate': text(
    'The credential the route takes: `RootKey`, `ApiKey`, `ApiKey, RootKey` (or `Bearer` for /metrics)',
  ),
  'Idempotent-Replayed': {
    description:
      '`true` when the response is the stored first response to this Idempotency-Key, not a new run',
    schema: { type: 'string', enum: ['true'] },
  },
  'Idempotency-Key': text(
    "The run's idempotency key as sent to the pipeline service: the caller's, or the one generated for it",
  ),
  'Content-Disposition': text('`attachment; filename="…"`: the file name to save the body under'),
  Location: text("The resource to follow: a cost import's status (its `status_url`), on its 202"),
  'X-RateLimit-Limit': seconds("The org's pipeline triggers allowed a minute (its own limit)"),
  'X-RateLimit-Remaining': seconds("Pipeline triggers left in this minute's window"),
  'X-RateLimit-Reset': {
    description: 'When the trigger window resets, in Unix seconds',
    schema: { type: 'integer' },
  },
  ...Object.fromEntries(
    THROTTLER_NAMES.flatMap((name) => [
      [`X-RateLimit-Limit-${name}`, seconds(`Requests the \`${name}\` limit allows a minute`)],
      [
        `X-RateLimit-Remaining-${name}`,
        seconds(`Requests the \`${name}\` limit still allows in this window`),
      ],
      [`X-RateLimit-Reset-${name}`, seconds(`Seconds until the \`${name}\` window resets`)],
      [
        `Retry-After-${name}`,
        seconds(`With the 429 of the \`${name}\` limit: seconds until it admits again`),
      ],
    ]),
  ),
};

export const headerRef = (name: string): ReferenceObject => {
  if (!(name in RESPONSE_HEADERS)) throw new Error(`No response header ${name} is documented`);
  return { $ref: `#/components/headers/${name}` };
};

/** The headers of a response, by reference. */
export const headerRefs = (...names: string[]): Record<string, ReferenceObject> =>
  Object.fromEntries(names.map((name) => [name, headerRef(name)]));

/** What the named limits set: on every counted request, and `Retry-After-<name>` with their 429. */
export const rateLimitHeaders = (limits: readonly string[], refused: boolean): string[] =>
  limits.flatMap((name) => [
    `X-RateLimit-Limit-${name}`,
    `X-RateLimit-Remaining-${name}`,
    `X-RateLimit-Reset-${name}`,
    ...(refused ? [`Retry-After-${name}`] : []),
  ]);

/** The pipeline proxy's own per-org trigger limit. */
export const TRIGGER_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
