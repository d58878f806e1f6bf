import { gzipSync } from 'node:zlib';
import { PROBLEM, platformApp } from '#test/platform-app';

describe('platform over the real app', () => {
  const p = platformApp();
  beforeAll(() => p.start());
  afterAll(() => p.close());
  const { inject, echoJson } = p;

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
  });
});
