/** The named rate limits (@nestjs/throttler names), as the guard, the module and CORS see them. */
export const THROTTLER_NAMES = ['reads', 'writes', 'admin', 'heavy-reads', 'pipeline-service'] as const;

/**
 * Every header the limiter may send: `X-RateLimit-Limit-<name>`, `-Remaining-<name>` and
 * `-Reset-<name>` (seconds until the window resets) on a counted request, `Retry-After-<name>` with
 * the 429 of that limit (@nestjs/throttler's naming for named limits).
 */
export const RATE_LIMIT_HEADERS: readonly string[] = THROTTLER_NAMES.flatMap((name) => [
  `X-RateLimit-Limit-${name}`,
  `X-RateLimit-Remaining-${name}`,
  `X-RateLimit-Reset-${name}`,
  `Retry-After-${name}`,
]);
