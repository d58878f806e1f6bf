import { gzipSync } from 'node:zlib';
import net, { type AddressInfo } from 'node:net';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { PROBE_SECRET_IN_ERROR, ProbeModule } from '#test/probe.module';
import { rootHeaders, startTestApp, TEST_ROOT_KEY, type TestApp } from '#test/test-app';
import { LogCapture } from '#test/log-capture';

const PROBLEM = 'application/problem+json; charset=utf-8';

/** An app of its own (with the probe routes) whose addresses get two failed authentications a minute. */
const startTwoGuessApp = () =>
  startTestApp(
    { AUTH_FAILURES_PER_MINUTE: '2', RATE_LIMIT_ADMIN_PER_MINUTE: '1000' },
    { imports: [ProbeModule] },
  );

describe('platform over the real app', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startTestApp(
      { LOG_LEVEL: 'debug', RATE_LIMIT_ADMIN_PER_MINUTE: '1000' },
      { imports: [ProbeModule], logDestination: logs },
    );
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  /** A POST of raw text (as JSON unless told) to the probe's echo route (no body when undefined). */
  const echoJson = (payload?: string, contentType = 'application/json') =>
    inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': contentType },
      ...(payload === undefined ? {} : { payload }),
    });

  describe('bad input', () => {
    it('answers malformed JSON with 400 MALFORMED_JSON problem+json', async () => {
      const res = await echoJson('{"name": "abc",');
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({
        status: 400,
        code: 'MALFORMED_JSON',
        request_id: res.headers['x-request-id'],
      });
    });

    it('takes an empty JSON body as no body: 422 naming the required fields, not malformed JSON', async () => {
      const res = await echoJson();
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('name');
      const blank = await echoJson(' ');
      expect(blank.statusCode).toBe(400);
      expect(blank.json().code).toBe('MALFORMED_JSON');
    });

    it('refuses unknown fields with 422 naming the field', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        payload: { name: 'abc', count: 1, email: 'a@b.co', address: { city: 'Paris' }, is_admin: true },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors).toEqual([
        { field: 'is_admin', message: 'property is_admin should not exist' },
      ]);
    });

    it('refuses unknown fields named after members of Object.prototype', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload:
          '{"name":"abc","count":1,"email":"a@b.co","address":{"city":"Paris"},"toString":1,"valueOf":2,"hasOwnProperty":3,"isPrototypeOf":4}',
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([
        'toString',
        'valueOf',
        'hasOwnProperty',
        'isPrototypeOf',
      ]);
    });

    it('refuses an object of more than 1000 fields with one 422 line, before building the DTO', async () => {
      // 200,000 unknown keys held the event loop for many seconds and answered a 422 of megabytes.
      const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 0]));
      const top = await echoJson(JSON.stringify(wide(200_000)));
      expect(top.statusCode).toBe(422);
      expect(top.json().errors).toEqual([
        {
          field: 'body',
          message: 'the body has more than 1000 fields or items in an object or array, or 10000 in all',
        },
      ]);
      // Many objects within the limit cost as much: the body as a whole is bounded too.
      const many = await echoJson(
        JSON.stringify({ name: 'abcd', items: Array.from({ length: 11 }, () => wide(1000)) }),
      );
      expect(many.json().errors).toEqual([
        {
          field: 'body',
          message: 'the body has more than 1000 fields or items in an object or array, or 10000 in all',
        },
      ]);
      const nested = await echoJson(JSON.stringify({ name: 'abcd', address: wide(1001) }));
      expect(nested.json().errors).toEqual([
        { field: 'address', message: 'address has more than 1000 fields or items' },
      ]);
      // At the limit, the fields are judged one by one as usual.
      const ok = await echoJson(JSON.stringify(wide(1000)));
      expect(ok.json().errors).toContainEqual({ field: 'k999', message: 'property k999 should not exist' });
    });

    it('refuses an array of more than 1000 items with one 422 line, before building the DTO', async () => {
      // 4.9 million numbers (9.8 MB, under the body limit) held the event loop for ~5 s in
      // class-transformer before the whitelist refused the unknown field.
      const long = await echoJson(`{"name":"abcd","a":[${Array(2_000_000).fill(1).join(',')}]}`);
      expect(long.statusCode).toBe(422);
      expect(long.json().errors).toEqual([{ field: 'a', message: 'a has more than 1000 fields or items' }]);
      // Many short arrays add up like fields.
      const many = await echoJson(
        JSON.stringify({ name: 'abcd', items: Array.from({ length: 11 }, () => Array(1000).fill(0)) }),
      );
      expect(many.json().errors).toEqual([
        {
          field: 'body',
          message: 'the body has more than 1000 fields or items in an object or array, or 10000 in all',
        },
      ]);
      const ok = await echoJson(JSON.stringify({ name: 'abcd', a: Array(1000).fill(1) }));
      expect(ok.json().errors).toContainEqual({ field: 'a', message: 'property a should not exist' });
    });

    it('refuses a deeply nested body with 422 before walking it (a few KB of brackets, not a 500)', async () => {
      for (const depth of [33, 2000, 20_000]) {
        const res = await echoJson(`{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`);
        expect(res.statusCode, String(depth)).toBe(422);
        expect(res.json().errors).toEqual([
          { field: 'body', message: 'the body is nested more than 32 levels deep' },
        ]);
      }
      // A body as deep as the limit is read as usual.
      const ok = await echoJson(`{"name":${'['.repeat(31)}${']'.repeat(31)}}`);
      expect(ok.statusCode).toBe(422);
      expect(ok.json().errors).toContainEqual({ field: 'name', message: 'name must be a string' });
      expect(ok.json().errors.map((e: { field: string }) => e.field)).not.toContain('body');
    });

    it('refuses text no database or validator takes (NUL, an unpaired surrogate) with 422 naming the field', async () => {
      const res = await echoJson(
        '{"name":"ab\\u0000cd","count":1,"email":"a\\ud800@x.io","address":{"city":"Pa\\udc00ris"}}',
      );
      expect(res.statusCode).toBe(422);
      expect(
        res
          .json()
          .errors.map((e: { field: string }) => e.field)
          .sort(),
      ).toEqual(['address.city', 'email', 'name']);
      // A paired surrogate (an emoji) is ordinary text.
      const emoji = await echoJson(
        '{"name":"ab\\ud83d\\ude00cd","count":1,"email":"a@x.io","address":{"city":"Paris"}}',
      );
      expect(emoji.statusCode).toBe(201);
    });

    it('refuses an HTML form body with 415: the API reads JSON only', async () => {
      const res = await echoJson('name=abcd&count=1&email=a%40b.co', 'application/x-www-form-urlencoded');
      expect(res.statusCode).toBe(415);
      expect(res.headers['content-type']).toBe(PROBLEM);
    });

    it('refuses a text/plain body with 415 like any other non-JSON type (it was read as a string, then 422)', async () => {
      const res = await echoJson('{"name":"abcd","count":1,"email":"a@b.co"}', 'text/plain; charset=utf-8');
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        request_id: res.headers['x-request-id'],
      });
    });

    it('names a __proto__ or constructor.prototype key as an unknown field (422), not as malformed JSON', async () => {
      const res = await echoJson(
        '{"name":"abc","count":1,"email":"a@b.co","__proto__":{"x":1},"address":{"city":"P","constructor":{"prototype":{}}}}',
      );
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([
        { field: '__proto__', message: 'property __proto__ should not exist' },
        { field: 'address.constructor', message: 'property address.constructor should not exist' },
      ]);
      // Text that is not JSON at all stays a 400.
      expect((await echoJson('{"__proto__":')).json().code).toBe('MALFORMED_JSON');
    });

    it('refuses a compressed JSON body with 415 and Accept-Encoding, not as malformed JSON', async () => {
      const body = gzipSync('{"name":"abcd","count":1,"email":"a@b.co","address":{"city":"Paris"}}');
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        payload: body,
      });
      expect(res.statusCode).toBe(415);
      expect(res.headers['accept-encoding']).toBe('identity');
      expect(res.json()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        detail: expect.stringContaining('gzip'),
      });
      const plain = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        headers: { 'content-type': 'application/json', 'content-encoding': 'Identity' },
        payload: '{"name":"abcd","count":1,"email":"a@b.co","address":{"city":"Paris"}}',
      });
      expect(plain.statusCode).toBe(201);
    });

    it('reads JSON as UTF-8 only: another charset is 415', async () => {
      const body = '{"name":"abcd","count":1,"email":"a@b.co","address":{"city":"Paris"}}';
      const utf16 = await echoJson(body, 'application/json; charset=utf-16');
      expect(utf16.statusCode).toBe(415);
      expect(utf16.json().detail).toContain('charset=utf-16');
      expect((await echoJson(body, 'application/json; charset="UTF-8"')).statusCode).toBe(201);
      expect((await echoJson(body, 'application/json; charset=us-ascii')).statusCode).toBe(201);
    });

    it('refuses a JSON body that is not valid UTF-8 (400), rather than reading U+FFFD into it', async () => {
      for (const bytes of [
        Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // {"\xff\xfe":1}
        Buffer.concat([Buffer.from('{"name":"ab'), Buffer.from([0xc3]), Buffer.from('"}')]), // a cut sequence
        Buffer.from('{"name":"\xed\xa0\x80"}', 'latin1'), // an encoded surrogate
      ]) {
        const res = await inject({
          method: 'POST',
          url: '/api/v1/probe/echo',
          headers: { 'content-type': 'application/json' },
          payload: bytes,
        });
        expect([res.statusCode, res.json().code]).toEqual([400, 'MALFORMED_JSON']);
        expect(res.json().detail).toContain('UTF-8');
      }
      const accented = '{"name":"Zoë Ünal","count":1,"email":"a@b.co","address":{"city":"Košice"}}';
      expect((await echoJson(accented)).statusCode).toBe(201);
    });

    it('refuses a JSON array or scalar body with 422, not field by field', async () => {
      for (const payload of ['[1,2]', '"text"', '42', 'null']) {
        const res = await echoJson(payload);
        expect(res.statusCode, payload).toBe(422);
        expect(res.json().errors, payload).toEqual([
          { field: 'body', message: 'the request body must be a JSON object' },
        ]);
      }
    });

    it('counts fields, not messages, in the detail', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        payload: { name: 'abc', count: 2, email: 'a@b.co', code: 'A1', address: { city: 'Paris' } },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.length).toBe(2);
      expect(res.json().detail).toBe('1 field failed validation: code');
    });

    it('tells a wrong-typed field its type only, not also the size its value should have', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        payload: { name: 7, count: 'many', email: 'a@b.co', address: { city: 'Paris' } },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([
        { field: 'name', message: 'name must be a string' },
        { field: 'count', message: 'count must be an integer number' },
      ]);
    });

    it('lists every wrong-typed field, nested ones with their path', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        payload: { name: 7, count: 'x', email: 'nope', address: { city: 1 } },
      });
      expect(res.statusCode).toBe(422);
      const fields = new Set(res.json().errors.map((e: { field: string }) => e.field));
      expect(fields).toEqual(new Set(['name', 'count', 'email', 'address.city']));
    });

    it('refuses a 20 MiB body with 413 before reading it', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(20 * 1024 * 1024) });
      const res = await inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload: big,
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    });

    it('takes path parameters of up to 1024 characters, and answers a longer one 414 as problem+json', async () => {
      const long = await inject({ method: 'GET', url: `/api/v1/probe/org/${'a'.repeat(1024)}` });
      expect(long.statusCode).toBe(401);
      const tooLong = await inject({ method: 'GET', url: `/api/v1/probe/org/${'a'.repeat(1025)}` });
      expect(tooLong.statusCode).toBe(414);
      expect(tooLong.headers['content-type']).toBe(PROBLEM);
      expect(tooLong.headers['x-frame-options']).toBe('DENY');
      expect(tooLong.headers['x-api-version']).toBeDefined();
      expect(String(tooLong.headers['x-process-time'])).toMatch(/^\d+\.\d{4}$/);
      expect(tooLong.json()).toMatchObject({
        code: 'URI_TOO_LONG',
        status: 414,
        request_id: tooLong.headers['x-request-id'],
      });
      expect(tooLong.json().detail).not.toContain('aaaa');
      // A dashboard page can read it: the router's errors carry CORS headers too.
      const fromDashboard = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${'a'.repeat(1025)}`,
        headers: { origin: 'http://localhost:3000' },
      });
      expect(fromDashboard.statusCode).toBe(414);
      expect(fromDashboard.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(fromDashboard.headers.vary).toBe('Origin');
    });

    it('closes a connection idle for CONNECTION_IDLE_TIMEOUT_MS (Fastify would wait for a body forever)', async () => {
      expect((t.app.getHttpServer() as { timeout: number }).timeout).toBe(120_000);
      // With the probe's echo route, which reads the body (a body sent where no route is is not read).
      const quick = await startTestApp({ CONNECTION_IDLE_TIMEOUT_MS: '300' }, { imports: [ProbeModule] });
      try {
        await quick.app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = quick.app.getHttpServer().address() as AddressInfo;
        // Headers, then a body that never comes: the server hangs up instead of waiting.
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () =>
            socket.write(
              `POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
            ),
          );
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          socket.on('close', () => resolve(`closed:${text}`));
          socket.on('error', reject);
        });
        expect(answer.startsWith('closed:')).toBe(true);
      } finally {
        await quick.close();
      }
    });

    /** What the server answers a raw request, read until it closes the connection. */
    async function rawExchange(request: string): Promise<string> {
      if (!t.app.getHttpServer().listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      return new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    }

    it('answers a request without Host, and an Expect it cannot meet, as problem+json', async () => {
      const [noHost, noHostBody] = (
        await rawExchange('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n')
      ).split('\r\n\r\n');
      expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
      expect(noHost).toContain(`content-type: ${PROBLEM}`);
      expect(JSON.parse(noHostBody)).toMatchObject({
        code: 'BAD_REQUEST',
        detail: expect.stringContaining('Host'),
      });
      const [expectHead, expectBody] = (
        await rawExchange(
          'POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 2\r\n\r\n{}',
        )
      ).split('\r\n\r\n');
      expect(expectHead).toMatch(/^HTTP\/1\.1 417 /);
      expect(expectHead).toContain(`content-type: ${PROBLEM}`);
      const requestId = /x-request-id: (\S+)/.exec(expectHead)?.[1];
      expect(JSON.parse(expectBody)).toMatchObject({
        code: 'EXPECTATION_FAILED',
        status: 417,
        request_id: requestId,
      });
    });

    it('answers headers over the server limit 431 as problem+json, then closes the connection', async () => {
      const raw = await rawExchange(
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head).toContain(`content-type: ${PROBLEM}`);
      expect(head).toContain('x-content-type-options: nosniff');
      expect(head).toMatch(/x-api-version: \S+/);
      const requestId = /x-request-id: (\S+)/.exec(head)?.[1];
      expect(JSON.parse(body)).toMatchObject({
        code: 'HEADERS_TOO_LARGE',
        status: 431,
        request_id: requestId,
      });
      // Counted and logged like every other answer, though no route or hook ever saw it.
      const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === requestId);
      expect(line).toMatchObject({ status: 431, message: 'request refused before parsing' });
      expect(JSON.stringify(line)).not.toContain('a'.repeat(100));
      const metrics = await inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain(
        'http_requests_total{method="(unparsed)",route="(unparsed)",status="431"} 1',
      );
    });

    it('answers 431 and 400 on a kept-alive connection too, after its earlier response ended', async () => {
      if (!t.app.getHttpServer().listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      /** A first request answered in full, then `second` on the same connection; all it got. */
      const afterOne = (second: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () =>
            socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
          );
          let text = '';
          socket.on('data', (chunk: Buffer) => {
            const first = text === '';
            text += chunk.toString('utf8');
            if (first) socket.write(second);
          });
          socket.on('close', () => resolve(text));
          socket.on('error', reject);
        });
      const tooLarge = await afterOne(
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(tooLarge).toMatch(/^HTTP\/1\.1 200 /);
      expect(tooLarge).toMatch(/\r\n\r\n[^]*HTTP\/1\.1 431 [^]*"code":"HEADERS_TOO_LARGE"/);
      const malformed = await afterOne('GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
      expect(malformed).toMatch(/HTTP\/1\.1 400 [^]*"code":"BAD_REQUEST"/);
    });

    it('answers a malformed percent-encoding 400 as problem+json', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/org/%E0%A4%A',
        headers: { 'x-request-id': 'bad-percent-1' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', request_id: 'bad-percent-1' });
      // Counted and logged like every other answer, though the router answered it before any hook.
      const line = logs.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.request_id === 'bad-percent-1' && l.message === 'request completed');
      expect(line).toMatchObject({ status: 400, method: 'GET', route: '(unmatched)' });
      const metrics = await inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /http_requests_total\{method="GET",route="\(unmatched\)",status="400"\} \d+/,
      );
    });

    it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const notFound = await inject({ method: 'GET', url: '/api/v1/nope' });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json().code).toBe('NOT_FOUND');
      const wrong = await inject({
        method: 'DELETE',
        url: '/api/v1/admin/bootstrap/status',
        headers: rootHeaders,
      });
      expect(wrong.statusCode).toBe(405);
      // The same list as the answer to OPTIONS, which is answered on every path.
      expect(wrong.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(wrong.json().code).toBe('METHOD_NOT_ALLOWED');
    });

    it('answers 404, not 405, for a known path with a trailing slash, as Fastify routes it', async () => {
      const slash = await inject({ method: 'GET', url: '/health/ready/' });
      expect(slash.statusCode).toBe(404);
      expect(slash.headers.allow).toBeUndefined();
      expect(slash.json().code).toBe('NOT_FOUND');
      const wrong = await inject({ method: 'POST', url: '/health/ready' });
      expect(wrong.statusCode).toBe(405);
      // HEAD is served beside every GET, so it is allowed too.
      expect(wrong.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect((await inject({ method: 'HEAD', url: '/health/ready' })).statusCode).toBe(200);
    });

    it('answers 404 for an empty path parameter, not a 405 naming the very method used', async () => {
      const empty = await inject({ method: 'DELETE', url: '/api/v1/admin/api-keys/', headers: rootHeaders });
      expect(empty.statusCode).toBe(404);
      expect(empty.headers.allow).toBeUndefined();
      expect(empty.json().code).toBe('NOT_FOUND');
    });

    it('hides internals of an unexpected error and logs them scrubbed with the request id', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/boom',
        headers: { 'x-request-id': 'boom-1' },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        type: 'https://errors.finops-api.dev/internal-error',
        title: 'Internal server error',
        status: 500,
        detail: 'An unexpected error occurred.',
        code: 'INTERNAL_ERROR',
        request_id: 'boom-1',
        instance: '/api/v1/probe/boom',
      });
      const line = logs.lines.find(
        (l) => l.includes('"request_id":"boom-1"') && l.includes('request failed'),
      );
      expect(line).toBeDefined();
      expect(line).toContain('postgres://svc:[REDACTED]@db.internal');
      // What Cloud Logging reads: an error it can filter and alert on, with its summary line.
      expect(JSON.parse(line as string)).toMatchObject({ severity: 'ERROR', message: 'request failed' });
    });

    it('logs a 5xx given by design (a breaker open, shutting down) at warn, without a stack', async () => {
      const res = await inject({
        method: 'GET',
        url: '/api/v1/probe/unavailable',
        headers: { 'x-request-id': 'by-design-1' },
      });
      expect(res.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      const lines = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'by-design-1');
      expect(lines.find((l) => l.message === 'request refused')).toMatchObject({
        severity: 'WARNING',
        code: 'SERVICE_UNAVAILABLE',
        status: 503,
      });
      expect(lines.some((l) => l.severity === 'ERROR' || 'err' in l)).toBe(false);
    });
  });

  describe('auth', () => {
    it('refuses a body sent without the credentials its route needs before reading it', async () => {
      const bad = { 'content-type': 'application/json' };
      // Malformed JSON would be a 400 once read: the missing key is found first.
      const locale = await inject({
        method: 'PUT',
        url: '/api/v1/organizations/acme_corp/locale',
        headers: bad,
        payload: '{bad',
      });
      expect([locale.statusCode, locale.json().code]).toEqual([401, 'AUTH_REQUIRED']);
      const validate = await inject({
        method: 'POST',
        url: '/api/v1/validator/validate/acme_corp',
        headers: bad,
        payload: '{bad',
      });
      expect([validate.statusCode, validate.json().code]).toEqual([401, 'API_KEY_REQUIRED']);
      const admin = await inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: bad,
        payload: '{bad',
      });
      expect([admin.statusCode, admin.json().code]).toEqual([401, 'ROOT_KEY_REQUIRED']);
      // An upload without credentials is not answered about its media type.
      const upload = await inject({
        method: 'POST',
        url: '/api/v1/admin/organizations/acme_corp/costs/import',
        headers: { 'content-type': 'image/png' },
        payload: Buffer.alloc(64),
      });
      expect([upload.statusCode, upload.json().code]).toEqual([401, 'AUTH_REQUIRED']);
      // With credentials, the body is read and judged as before.
      const k = await anOrgWithKey(warehouse);
      const read = await inject({
        method: 'PUT',
        url: `/api/v1/organizations/${k.org}/locale`,
        headers: { ...bad, 'x-api-key': k.key },
        payload: '{bad',
      });
      expect(read.statusCode).toBe(400);
    });

    it('root key: a wrong one is refused before its body is read, on root and org-or-root routes', async () => {
      const wrong = { 'x-ca-root-key': 'x'.repeat(40), 'content-type': 'application/json' };
      for (const [url, payload] of [
        ['/api/v1/admin/bootstrap', '{"force_recreate_dataset":'],
        ['/api/v1/admin/bootstrap', 'x'.repeat(20 * 1024 * 1024)],
        ['/api/v1/admin/organizations/acme_corp/costs/import', '{'],
      ] as const) {
        const res = await inject({ method: 'POST', url, headers: wrong, payload });
        expect([res.statusCode, res.json().code], url).toEqual([403, 'ROOT_KEY_INVALID']);
      }
      // The right key: the body is read, and judged.
      const right = await inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: { ...rootHeaders, 'content-type': 'application/json' },
        payload: '{"force_recreate_dataset":',
      });
      expect([right.statusCode, right.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('root key: 401 missing, 403 wrong, 200 right', async () => {
      const missing = await inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status' });
      expect(missing.statusCode).toBe(401);
      expect(missing.json().code).toBe('ROOT_KEY_REQUIRED');
      expect(missing.headers['www-authenticate']).toBe('RootKey');
      const wrong = await inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: { 'x-ca-root-key': 'x'.repeat(40) },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('ROOT_KEY_INVALID');
      const ok = await inject({ method: 'GET', url: '/api/v1/admin/probe-not-there', headers: rootHeaders });
      expect(ok.statusCode).toBe(404);
    });

    it('org key: its own org passes, another org is 403 before any work', async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      const own = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${a.org}`,
        headers: { 'x-api-key': a.key },
      });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toEqual({ org: a.org, auth: 'org' });
      const other = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${b.org}`,
        headers: { 'x-api-key': a.key },
      });
      expect(other.statusCode).toBe(403);
      expect(other.json().code).toBe('ORG_FORBIDDEN');
    });

    it('org key: an authenticated key naming another org is refused before its body is read', async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      const post = (url: string, payload: string, type = 'application/json') =>
        inject({ method: 'POST', url, headers: { 'x-api-key': a.key, 'content-type': type }, payload });
      // Known to this instance (the auth cache), as every key is after its first request.
      expect(
        (await inject({ method: 'GET', url: `/api/v1/probe/org/${a.org}`, headers: { 'x-api-key': a.key } }))
          .statusCode,
      ).toBe(200);
      // Another org, with a malformed body or one the route does not take: 403, not 400 or 415 for
      // a body it would never be let send.
      const other = await post(`/api/v1/validator/validate/${b.org}`, '{"pipeline_id":');
      expect([other.statusCode, other.json().code]).toEqual([403, 'ORG_FORBIDDEN']);
      const upload = await post(`/api/v1/admin/organizations/${b.org}/costs/import`, '{}');
      expect([upload.statusCode, upload.json().code]).toEqual([403, 'ORG_FORBIDDEN']);
      const typo = await post(`/api/v1/validator/validate/${a.org.toUpperCase()}`, '{');
      expect([typo.statusCode, typo.json().code]).toEqual([422, 'VALIDATION_FAILED']);
      // Its own org: the body is read, and judged.
      const own = await post(`/api/v1/validator/validate/${a.org}`, '{"pipeline_id":');
      expect([own.statusCode, own.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('org key: a key this instance does not know is looked up before its body is read', async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      const expired = await anOrgWithKey(warehouse, { expiresAt: new Date(Date.now() - 1000) });
      const post = (url: string, key: string, payload: string | Buffer, type = 'application/json') =>
        inject({ method: 'POST', url, headers: { 'x-api-key': key, 'content-type': type }, payload });
      const validate = (org: string) => `/api/v1/validator/validate/${org}`;
      const unknown = `${a.org}_api_unknownunknownunknownunknown12`;
      // Malformed JSON (400 once read), a body over the limit (413) and a media type the route does
      // not take (415): a key that is not valid is answered first, whatever its body.
      const cases: [string, string, string | Buffer, string, number, string][] = [
        [validate(a.org), unknown, '{"pipeline_id":', 'application/json', 401, 'API_KEY_INVALID'],
        [validate(a.org), unknown, 'x'.repeat(20 * 1024 * 1024), 'application/json', 401, 'API_KEY_INVALID'],
        [validate(expired.org), expired.key, '{', 'application/json', 401, 'API_KEY_EXPIRED'],
        [validate(b.org), a.key, '{"pipeline_id":', 'application/json', 403, 'ORG_FORBIDDEN'],
        [
          `/api/v1/admin/organizations/${b.org}/costs/import`,
          b.key.slice(0, -1) + (b.key.endsWith('x') ? 'y' : 'x'),
          Buffer.alloc(64),
          'image/png',
          401,
          'API_KEY_INVALID',
        ],
      ];
      for (const [url, key, payload, type, status, code] of cases) {
        const res = await post(url, key, payload, type);
        expect([res.statusCode, res.json().code], `${url} ${code}`).toEqual([status, code]);
      }
      // A valid key of its own org: the body is read, and judged.
      const own = await post(validate(b.org), b.key, '{"pipeline_id":');
      expect([own.statusCode, own.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('org key: a lookup the warehouse cannot answer is 503 with Retry-After, before and after a body', async () => {
      const a = await anOrgWithKey(warehouse);
      const down = vi
        .spyOn(warehouse, 'query')
        .mockRejectedValue(new WarehouseError(WarehouseErrorCode.Unavailable, 'connection reset'));
      try {
        const requests = [
          { method: 'GET' as const, url: `/api/v1/costs/${a.org}/summary` },
          {
            method: 'POST' as const,
            url: `/api/v1/validator/validate/${a.org}`,
            payload: { pipeline_id: 'p' },
          },
        ];
        for (const request of requests) {
          const res = await inject({ ...request, headers: { 'x-api-key': a.key } });
          expect([res.statusCode, res.json().code], request.url).toEqual([503, 'AUTH_SERVICE_UNAVAILABLE']);
          expect(res.headers['retry-after'], request.url).toBe('5');
        }
      } finally {
        down.mockRestore();
      }
    });

    it('org key: a malformed slug in the path is 422 naming org (a typo names no other org)', async () => {
      const a = await anOrgWithKey(warehouse);
      for (const slug of [a.org.toUpperCase(), 'ab', 'with-dash']) {
        const res = await inject({
          method: 'GET',
          url: `/api/v1/probe/org/${slug}`,
          headers: { 'x-api-key': a.key },
        });
        expect(res.statusCode, slug).toBe(422);
        expect(res.json().errors).toEqual([
          {
            field: 'org',
            message: 'org must be 3-50 lowercase letters, digits or underscores (^[a-z0-9_]{3,50}$)',
          },
        ]);
      }
    });

    it('org key: missing, unknown, revoked, expired and inactive-org keys are 401', async () => {
      const revoked = await anOrgWithKey(warehouse, { isActive: false });
      const expired = await anOrgWithKey(warehouse, { expiresAt: new Date(Date.now() - 1000) });
      const suspended = await anOrgWithKey(warehouse, { status: 'SUSPENDED' });
      const cases: [Record<string, string>, string, string][] = [
        [{}, revoked.org, 'API_KEY_REQUIRED'],
        [
          { 'x-api-key': `${revoked.org}_api_unknownunknownunknownunknown12` },
          revoked.org,
          'API_KEY_INVALID',
        ],
        [{ 'x-api-key': revoked.key }, revoked.org, 'API_KEY_INVALID'],
        [{ 'x-api-key': expired.key }, expired.org, 'API_KEY_EXPIRED'],
        [{ 'x-api-key': suspended.key }, suspended.org, 'API_KEY_INVALID'],
      ];
      for (const [headers, org, code] of cases) {
        const res = await inject({ method: 'GET', url: `/api/v1/probe/org/${org}`, headers });
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code });
      }
    });

    it('refuses and counts a wrong root key beside an org key on an org-only route too: guesses meet one bound', async () => {
      const fresh = await startTwoGuessApp();
      try {
        const k = await anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE));
        const asOrg = (headers: Record<string, string> = {}) =>
          fresh.app.inject({
            method: 'GET',
            url: `/api/v1/probe/org/${k.org}`,
            headers: { 'x-api-key': k.key, ...headers },
          });
        expect((await asOrg()).json()).toEqual({ org: k.org, auth: 'org' });
        const guessed = (i: number) => ({ 'x-ca-root-key': `guess_${i}_`.padEnd(40, 'x') });
        // The validator grants include_credentials to the right root key: a wrong one must not
        // just be told "not granted" (403 CREDENTIALS_FORBIDDEN), uncounted, guess after guess.
        const validate = (i: number) =>
          fresh.app.inject({
            method: 'POST',
            url: `/api/v1/validator/validate/${k.org}`,
            headers: { 'x-api-key': k.key, 'content-type': 'application/json', ...guessed(i) },
            payload: { pipeline_id: 'gcp_billing', include_credentials: true },
          });
        expect([(await asOrg(guessed(1))).json().code, (await validate(2)).json().code]).toEqual([
          'ROOT_KEY_INVALID',
          'ROOT_KEY_INVALID',
        ]);
        // Two failures this minute: every further guess is 429, on any route, saying nothing of it.
        const admin = fresh.app.inject({
          method: 'GET',
          url: '/api/v1/admin/bootstrap/status',
          headers: guessed(5),
        });
        for (const res of [await asOrg(guessed(3)), await validate(4), await admin]) {
          expect([res.statusCode, res.json().code]).toEqual([429, 'RATE_LIMITED']);
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
        // The right key is never held back; beside the org key, the org key is what an org-only route takes.
        expect((await asOrg(rootHeaders)).json()).toEqual({ org: k.org, auth: 'org' });
        expect((await asOrg()).statusCode).toBe(200);
        // Org keys this instance has not seen yet are locked out with their address...
        const [k2, k3, k4] = await Promise.all(
          [1, 2, 3].map(() => anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE))),
        );
        const probe = (key: typeof k2, headers: Record<string, string> = {}) =>
          fresh.app.inject({
            method: 'GET',
            url: `/api/v1/probe/org/${key.org}`,
            headers: { 'x-api-key': key.key, ...headers },
          });
        expect((await probe(k4)).statusCode).toBe(429);
        // ...but not beside the right root key: the pipeline service's own calls go on.
        expect((await probe(k2, rootHeaders)).json()).toEqual({ org: k2.org, auth: 'org' });
        const validated = await fresh.app.inject({
          method: 'POST',
          url: `/api/v1/validator/validate/${k3.org}`,
          headers: { 'x-api-key': k3.key, 'content-type': 'application/json', ...rootHeaders },
          payload: { pipeline_id: 'gcp_billing' },
        });
        expect(validated.statusCode, validated.body).toBe(200);
      } finally {
        await fresh.close();
      }
    });

    it('answers a wrong root key without an org key alike on an org-only GET and POST, counting both', async () => {
      const fresh = await startTwoGuessApp();
      try {
        const k = await anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE));
        const guessed = (i: number) => ({ 'x-ca-root-key': `guess_${i}_`.padEnd(40, 'x') });
        const get = (headers: Record<string, string>) =>
          fresh.app.inject({ method: 'GET', url: `/api/v1/probe/org/${k.org}`, headers });
        const post = (headers: Record<string, string>) =>
          fresh.app.inject({
            method: 'POST',
            url: `/api/v1/validator/validate/${k.org}`,
            headers: { 'content-type': 'application/json', ...headers },
            payload: { pipeline_id: 'gcp_billing' },
          });
        const answer = (res: { statusCode: number; json: () => { code?: string } }) => [
          res.statusCode,
          res.json().code,
        ];
        // Without any key, both say which one the route takes.
        expect([answer(await get({})), answer(await post({}))]).toEqual([
          [401, 'API_KEY_REQUIRED'],
          [401, 'API_KEY_REQUIRED'],
        ]);
        expect([answer(await get(guessed(1))), answer(await post(guessed(2)))]).toEqual([
          [403, 'ROOT_KEY_INVALID'],
          [403, 'ROOT_KEY_INVALID'],
        ]);
        // Both guesses were counted: the address is locked out, on either method.
        expect([answer(await get(guessed(3))), answer(await post(guessed(4)))]).toEqual([
          [429, 'RATE_LIMITED'],
          [429, 'RATE_LIMITED'],
        ]);
      } finally {
        await fresh.close();
      }
    });

    it('enforces scopes', async () => {
      const k = await anOrgWithKey(warehouse, { scopes: ['pipelines:read'] });
      const res = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['pipelines:execute'] });
    });

    it('org-or-root: root acts for any org; a revocation clears the key cache at once', async () => {
      const k = await anOrgWithKey(warehouse);
      const root = await inject({ method: 'GET', url: `/api/v1/probe/any/${k.org}`, headers: rootHeaders });
      expect(root.json()).toEqual({ org: k.org, auth: 'root' });
      // A root key sent decides, an org key beside it or not: right, root; wrong, refused (before
      // a body too), never served as the org key's request.
      const both = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key, ...rootHeaders },
      });
      expect(both.json()).toEqual({ org: k.org, auth: 'root' });
      for (const [method, url] of [
        ['GET', `/api/v1/probe/any/${k.org}`],
        ['POST', `/api/v1/costs/${k.org}/cache/invalidate`],
      ] as const) {
        const wrong = await inject({
          method,
          url,
          headers: {
            'x-api-key': k.key,
            'x-ca-root-key': 'w'.repeat(40),
            'content-type': 'application/json',
          },
          payload: method === 'POST' ? '{"unread":' : undefined,
        });
        expect(wrong.statusCode).toBe(403);
        expect(wrong.json()).toMatchObject({ code: 'ROOT_KEY_INVALID' });
      }
      const first = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(first.statusCode).toBe(200);
      await warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_api_keys\` SET is_active = FALSE WHERE org_api_key_id = @id`,
        { id: k.keyId },
      );
      const { ApiKeyCache } = await import('#platform');
      await t.app.get(ApiKeyCache).invalidateOrg(k.org);
      const after = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(after.statusCode).toBe(401);
    });
  });

  describe('headers and logs', () => {
    it('echoes a sane X-Request-ID and replaces an unsafe one', async () => {
      const sane = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
      expect(sane.headers['x-request-id']).toBe('abc-123');
      const unsafe = await inject({
        method: 'GET',
        url: '/health',
        headers: { 'x-request-id': 'x\ny<script>' },
      });
      expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sets security headers (no HSTS outside production)', async () => {
      const res = await inject({ method: 'GET', url: '/health' });
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('keeps the document-only security headers to /docs, where a browser renders a page', async () => {
      const data = await inject({ method: 'GET', url: '/health' });
      expect(data.headers['origin-agent-cluster']).toBeUndefined();
      expect(data.headers['cross-origin-opener-policy']).toBeUndefined();
      expect(data.headers['cross-origin-resource-policy']).toBe('same-origin');
      const docs = await inject({ method: 'GET', url: '/docs' });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers['origin-agent-cluster']).toBe('?1');
      expect(docs.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(docs.headers['x-frame-options']).toBe('DENY');
      expect(String(docs.headers['content-security-policy'])).toContain("script-src 'self'");
    });

    it('names the release and the processing time on every response, errors included', async () => {
      const health = await inject({ method: 'GET', url: '/health' });
      const missing = await inject({ method: 'GET', url: '/api/v1/no-such-route' });
      for (const res of [health, missing]) {
        expect(res.headers['x-api-version']).toBe(health.json<{ version: string }>().version);
        expect(String(res.headers['x-process-time'])).toMatch(/^\d+\.\d{4}$/);
      }
      expect(missing.statusCode).toBe(404);
    });

    it('answers CORS preflight for the dashboard origin with the headers it sends', async () => {
      const res = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-api-key,idempotency-key',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      for (const h of [
        'X-API-Key',
        'X-CA-Root-Key',
        'X-User-ID',
        'X-Request-ID',
        'Idempotency-Key',
        'Prefer',
      ])
        expect(String(res.headers['access-control-allow-headers'])).toContain(h);
      // A dashboard page reads where to poll its 202 import.
      const actual = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(String(actual.headers['access-control-expose-headers']).split(',')).toContain('Location');
      const foreign = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers a plain OPTIONS (not a preflight) with Allow, or a 404 problem+json for an unknown path', async () => {
      for (const headers of [{}, { origin: 'http://localhost:3000' }]) {
        const res = await inject({ method: 'OPTIONS', url: '/api/v1/admin/bootstrap/status', headers });
        expect(res.statusCode).toBe(204);
        expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
        expect(res.headers['x-request-id']).toBeDefined();
        expect(res.headers.vary).toBe('Origin');
        expect(res.body).toBe('');
      }
      // From a page (an actual request after its preflight): readable by the dashboard's origin only.
      const fromDashboard = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(fromDashboard.headers).toMatchObject({
        'access-control-allow-origin': 'http://localhost:3000',
        'access-control-allow-credentials': 'true',
      });
      expect(String(fromDashboard.headers['access-control-expose-headers'])).toContain('X-Request-ID');
      const foreign = await inject({
        method: 'OPTIONS',
        url: '/api/v1/admin/bootstrap/status',
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
      const health = await inject({ method: 'OPTIONS', url: '/health?probe=1' });
      expect([health.statusCode, health.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
      const unknown = await inject({ method: 'OPTIONS', url: '/api/v1/no-such-route' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toBe(PROBLEM);
      expect(unknown.json()).toMatchObject({
        code: 'NOT_FOUND',
        request_id: unknown.headers['x-request-id'],
      });
    });

    it('varies by Origin without CORS headers on a request without one, and allows only listed origins', async () => {
      const plain = await inject({ method: 'GET', url: '/health' });
      expect(plain.headers.vary).toBe('Origin');
      expect(Object.keys(plain.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const dashboard = await inject({
        method: 'GET',
        url: '/health',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(dashboard.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(dashboard.headers['access-control-allow-credentials']).toBe('true');
      const exposed = String(dashboard.headers['access-control-expose-headers']).split(/\s*,\s*/);
      expect(exposed).toContain('Idempotent-Replayed');
      // What the named limits send, so a dashboard page can read its remaining budget.
      expect(exposed).toEqual(
        expect.arrayContaining([
          'X-RateLimit-Remaining-reads',
          'X-RateLimit-Reset-writes',
          'Retry-After-admin',
        ]),
      );
      expect(dashboard.headers.vary).toBe('Origin');
    });

    it('writes access lines of probes at debug and of other routes at info', async () => {
      await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'probe-1' } });
      await inject({ method: 'GET', url: '/api/v1/nope?x=1', headers: { 'x-request-id': 'api-1' } });
      const line = (id: string) =>
        logs.lines
          .map((l) => JSON.parse(l))
          .find((l) => l.request_id === id && l.message === 'request completed');
      expect(line('probe-1')).toMatchObject({
        level: 'debug',
        severity: 'DEBUG',
        route: '/health',
        path: '/health',
        status: 200,
      });
      expect(line('api-1')).toMatchObject({
        level: 'info',
        severity: 'INFO',
        route: '(unmatched)',
        path: '/api/v1/nope',
        status: 404,
      });
    });

    it('logs one structured line per request and never a key', async () => {
      const k = await anOrgWithKey(warehouse);
      await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${k.org}`,
        headers: { 'x-api-key': k.key, 'x-request-id': 'log-1' },
      });
      await inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: { ...rootHeaders, authorization: 'Bearer tok_abcdef123456' },
      });
      const line = logs.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.request_id === 'log-1' && l.message === 'request completed');
      expect(line).toMatchObject({ route: '/api/v1/probe/org/:org', status: 200, org: k.org, method: 'GET' });
      expect(typeof line.latency_ms).toBe('number');
      for (const secret of [k.key, TEST_ROOT_KEY, PROBE_SECRET_IN_ERROR, 'tok_abcdef123456'])
        expect(logs.text).not.toContain(secret);
    });

    it('logs the org a refused cross-tenant call came from and the one it named, and the org a root call named', async () => {
      const mine = await anOrgWithKey(warehouse);
      const theirs = await anOrgWithKey(warehouse);
      const refused = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${theirs.org}`,
        headers: { 'x-api-key': mine.key, 'x-request-id': 'log-cross' },
      });
      expect(refused.statusCode).toBe(403);
      await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${theirs.org}`,
        headers: { ...rootHeaders, 'x-request-id': 'log-root' },
      });
      const lineOf = (id: string) =>
        logs.lines
          .map((l) => JSON.parse(l))
          .find((l) => l.request_id === id && l.message === 'request completed');
      expect(lineOf('log-cross')).toMatchObject({
        status: 403,
        org: mine.org,
        target_org: theirs.org,
        caller: 'org',
      });
      expect(lineOf('log-root')).toMatchObject({ status: 200, target_org: theirs.org, caller: 'root' });
      // Only a key's own org is logged as `org`: the path's is the caller's word.
      expect(lineOf('log-root').org).toBeUndefined();
    });
  });
});
