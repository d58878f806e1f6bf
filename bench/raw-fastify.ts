import Fastify from 'fastify';
// The leaf module itself, not #platform: the baseline loads nothing of the app's stack.
import { securityHeaders } from '../libs/platform/src/http/security-headers.js';

/**
 * The baseline: a bare Fastify hello-world, same version as the app's. `/hello-headers` answers
 * the same with the response headers every API response carries (request id, the security
 * headers, Vary), which tells the cost of those bytes apart from the rest of the stack; `/same`
 * answers exactly the status-200 response (headers and body) last given to `PUT /same`.
 */
const app = Fastify({ logger: false });
const headers: [string, string][] = [
  ['x-request-id', '00000000-0000-4000-8000-000000000000'],
  ['x-api-version', 'v0.1.0'],
  ...securityHeaders(false).api.map(([name, value]): [string, string] => [name, value]),
  ['vary', 'Origin'],
  ['x-process-time', '0.0001'],
];
/** What `/same` answers: set by `PUT /same` (a bench sends a response of the API to repeat). */
let same: { headers: [string, string][]; body: string } = { headers: [], body: '{}' };
app.get('/hello', async () => ({ hello: 'world' }));
app.put<{ Body: typeof same }>('/same', async (request) => {
  same = request.body;
  return { ok: true };
});
app.get('/same', async (_request, reply) => {
  for (const [name, value] of same.headers) reply.header(name, value);
  return reply.send(same.body);
});
app.get('/hello-headers', async (_request, reply) => {
  for (const [name, value] of headers) reply.header(name, value);
  return { hello: 'world' };
});
await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' });
