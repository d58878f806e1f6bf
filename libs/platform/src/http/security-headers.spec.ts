import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import {
  contentSecurityPolicy,
  DOCS_CSP,
  API_CSP,
  PERMISSIONS_POLICY,
  securityHeaders,
} from './security-headers.js';

/** What @fastify/helmet sends with the options the platform used to register it with. */
async function helmetHeaders(isProduction: boolean): Promise<Record<string, string>> {
  const app = Fastify();
  await app.register(helmet, {
    contentSecurityPolicy: false,
    hsts: isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
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
  it.each([false, true])(
    'equals helmet’s header set plus Permissions-Policy (production: %s)',
    async (prod) => {
      const expected = { ...(await helmetHeaders(prod)), 'permissions-policy': PERMISSIONS_POLICY };
      expect(Object.fromEntries(securityHeaders(prod))).toEqual(expected);
    },
  );

  it('sends HSTS in production only', () => {
    const hsts = (prod: boolean) =>
      securityHeaders(prod).find(([name]) => name === 'strict-transport-security');
    expect(hsts(true)?.[1]).toBe('max-age=31536000; includeSubDomains');
    expect(hsts(false)).toBeUndefined();
  });

  it('gives /docs the Swagger UI policy and everything else the API one', () => {
    expect(contentSecurityPolicy('/docs')).toBe(DOCS_CSP);
    expect(contentSecurityPolicy('/docs/swagger-ui.css')).toBe(DOCS_CSP);
    expect(contentSecurityPolicy('/health')).toBe(API_CSP);
    expect(contentSecurityPolicy('/api/v1/docs')).toBe(API_CSP);
  });
});
