/** The API answers data only: nothing may be loaded or framed from it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI needs its own scripts and inline styles; only /docs gets this policy. */
export const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
export const PERMISSIONS_POLICY = 'geolocation=(), microphone=(), camera=()';

export type HeaderList = readonly (readonly [name: string, value: string])[];

/**
 * The headers helmet 8 sets with our options (CSP off, `frameguard: deny`, `strict-origin-when-cross-origin`,
 * HSTS only in production), plus Permissions-Policy. They never vary by request, so they are computed
 * once instead of running helmet's middleware chain on every response; security-headers.spec.ts checks
 * that the list still equals what @fastify/helmet sends with the same options. Names are lower case,
 * the form Fastify keeps them in.
 */
export function securityHeaders(isProduction: boolean): HeaderList {
  return [
    ['cross-origin-opener-policy', 'same-origin'],
    ['cross-origin-resource-policy', 'same-origin'],
    ['origin-agent-cluster', '?1'],
    ['referrer-policy', 'strict-origin-when-cross-origin'],
    ...(isProduction
      ? ([['strict-transport-security', 'max-age=31536000; includeSubDomains']] as const)
      : []),
    ['x-content-type-options', 'nosniff'],
    ['x-dns-prefetch-control', 'off'],
    ['x-download-options', 'noopen'],
    ['x-frame-options', 'DENY'],
    ['x-permitted-cross-domain-policies', 'none'],
    ['x-xss-protection', '0'],
    ['permissions-policy', PERMISSIONS_POLICY],
  ];
}

/** The Content-Security-Policy of a request path. */
export function contentSecurityPolicy(url: string): string {
  return url.startsWith('/docs') ? DOCS_CSP : API_CSP;
}
