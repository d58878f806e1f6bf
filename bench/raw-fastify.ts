import Fastify from 'fastify';
// The leaf module itself, not #platform: the baseline loads nothing of the app's stack.
import { API_CSP, securityHeaders } from '../libs/platform/src/http/security-headers.js';

/**
 * The baseline: a bare Fastify hello-world, same version as the app's. `/hello-headers` answers
 * the same with the response headers every API response carries (request id, the security
 * headers, Vary), which tells the cost of those bytes apart from the rest of the stack.
 */
const app = Fastify({ logger: false });
const headers: [string, string][] = [
  ['x-request-id', '00000000-0000-4000-8000-000000000000'],
  ...securityHeaders(false).map(([name, value]): [string, string] => [name, value]),
  ['content-security-policy', API_CSP],
  ['vary', 'Origin'],
];
app.get('/hello', async () => ({ hello: 'world' }));
app.get('/hello-headers', async (_request, reply) => {
  for (const [name, value] of headers) reply.header(name, value);
  return { hello: 'world' };
});
await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' });
