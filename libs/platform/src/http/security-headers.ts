/** The API answers data only: nothing may be loaded or framed from it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI needs its own scripts and inline styles; only /docs gets this policy. */
export const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
export const PERMISSIONS_POLICY = 'geolocation=(), microphone=(), camera=()';

export type HeaderList = readonly (readonly [name: string, value: string])[];

/** The security headers of a response, by what it is. */
export interface SecurityHeaderSets {
  /** Data (JSON, CSV): every route but /docs. */
  api: HeaderList;
  /** The HTML pages and assets of /docs (Swagger UI). */
  docs: HeaderList;
}

const hsts = (isProduction: boolean): HeaderList =>
  isProduction ? [['strict-transport-security', 'max-age=31536000; includeSubDomains']] : [];

/**
 * What @fastify/helmet 8 sends, computed once: the headers never vary by request, so running
 * helmet's middleware chain on every response would cost for nothing. security-headers.spec.ts
 * checks both sets against helmet itself with the options named below. Names are lower case, the
 * form Fastify keeps them in.
 *
 * Data responses carry the reference's set (X-Frame-Options, X-Content-Type-Options,
 * X-XSS-Protection, Referrer-Policy, Content-Security-Policy, Permissions-Policy, HSTS in
 * production), plus Cross-Origin-Resource-Policy, which keeps a CSV or JSON answer out of another
 * site's no-cors loads. Helmet's other defaults (Cross-Origin-Opener-Policy, Origin-Agent-Cluster,
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies) only act on a
 * document a browser renders (OWASP's REST Security Cheat Sheet: "intended to be used with HTML
 * responses"), so only /docs gets them: on data they were ~200 bytes of every response for nothing.
 * X-XSS-Protection is `0`, helmet's and OWASP's value (the reference's `1; mode=block` turns on a
 * filter that browsers removed and that could be abused to blank or leak parts of a page).
 * Data responses are also `Cache-Control: no-store` (OWASP's REST cheat sheet): an org's costs,
 * keys and runs are asked for with `X-API-Key`, which no cache knows for a credential, so without
 * it a shared cache in front of the API (a CDN, Varnish's default 120 s) could keep one tenant's
 * answer by its URL and give it to the next caller of that URL, a caller without a key included.
 */
export function securityHeaders(isProduction: boolean): SecurityHeaderSets {
  const common: HeaderList = [
    ['cross-origin-resource-policy', 'same-origin'],
    ['referrer-policy', 'strict-origin-when-cross-origin'],
    ...hsts(isProduction),
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['x-xss-protection', '0'],
    ['permissions-policy', PERMISSIONS_POLICY],
  ];
  return {
    api: [...common, ['content-security-policy', API_CSP], ['cache-control', 'no-store']],
    docs: [
      ...common,
      ['cross-origin-opener-policy', 'same-origin'],
      ['origin-agent-cluster', '?1'],
      ['x-dns-prefetch-control', 'off'],
      ['x-download-options', 'noopen'],
      ['x-permitted-cross-domain-policies', 'none'],
      ['content-security-policy', DOCS_CSP],
    ],
  };
}

/**
 * Whether a request target (a path, with its query or without) is one of /docs' pages or assets:
 * `/docs`, `/docs/…` or `/docs?…`. Not a path that only begins the same (`/docsfoo`, `/docs-x`):
 * any such path got the Swagger UI's relaxed headers (its scripts and inline styles) with its 404.
 */
export const isDocsPath = (url: string): boolean =>
  url.startsWith('/docs') && (url.length === 5 || url[5] === '/' || url[5] === '?');
