import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';
import { API_CSP, DOCS_CSP, isDocsPath, PERMISSIONS_POLICY, securityHeaders } from './security-headers.js';

/**
 * What @fastify/helmet itself sends with the options the header sets stand for; `dataOnly` turns
 * off helmet's defaults that only act on a rendered document.
 */
async function helmetHeaders(isProduction: boolean, dataOnly: boolean): Promise<Record<string, string>> {
  const off = !dataOnly;
  const options: FastifyHelmetOptions = {
    contentSecurityPolicy: false,
    hsts: isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: off,
    originAgentCluster: off,
    dnsPrefetchControl: off,
    ieNoOpen: off,
    permittedCrossDomainPolicies: off,
  };
  const app = Fastify();
  await app.register(helmet, options);
  app.get('/', () => 'ok');
  const res = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  const ignored = new Set(['content-type', 'content-length', 'date', 'connection']);
  return Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => !ignored.has(name))
      .map(([name, value]) => [name, String(value)]),
  );
}

describe('securityHeaders', () => {
  // Data responses: helmet without its document-only headers; /docs: helmet's whole set. Both
  // with Permissions-Policy and their own CSP.
  it.each([
    ['api', false, false, API_CSP],
    ['api', true, false, API_CSP],
    ['docs', false, true, DOCS_CSP],
    ['docs', true, true, DOCS_CSP],
  ] as const)(
    '%s headers equal helmet’s (production: %s, document headers: %s)',
    async (set, prod, document, csp) => {
      const expected = {
        ...(await helmetHeaders(prod, !document)),
        'permissions-policy': PERMISSIONS_POLICY,
        'content-security-policy': csp,
        // Data is never kept by a cache (see securityHeaders); /docs' pages and assets may be.
        ...(set === 'api' && { 'cache-control': 'no-store' }),
      };
      expect(Object.fromEntries(securityHeaders(prod)[set])).toEqual(expected);
    },
  );

  it('keeps every security header of the reference on data responses', () => {
    const names = securityHeaders(true).api.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        'x-frame-options',
        'x-content-type-options',
        'x-xss-protection',
        'referrer-policy',
        'content-security-policy',
        'permissions-policy',
        'strict-transport-security',
      ]),
    );
  });

  it('sends HSTS in production only', () => {
    for (const set of ['api', 'docs'] as const) {
      const hsts = (prod: boolean) =>
        securityHeaders(prod)[set].find(([name]) => name === 'strict-transport-security');
      expect(hsts(true)?.[1]).toBe('max-age=31536000; includeSubDomains');
      expect(hsts(false)).toBeUndefined();
    }
  });

  it('tells /docs pages from everything else', () => {
    expect(isDocsPath('/docs')).toBe(true);
    expect(isDocsPath('/docs/swagger-ui.css')).toBe(true);
    expect(isDocsPath('/docs/')).toBe(true);
    expect(isDocsPath('/docs?x=1')).toBe(true);
    for (const other of ['/docsfoo', '/docs-anything', '/docs.json', '/docs%00', '/doc', '/DOCS'])
      expect(isDocsPath(other)).toBe(false);
    expect(isDocsPath('/health')).toBe(false);
    expect(isDocsPath('/api/v1/docs')).toBe(false);
  });
});
