import { Readable } from 'node:stream';
import { storableBody } from './idempotency-response.recorder.js';

describe('storableBody', () => {
  it('keeps a JSON object or array as sent, problem+json included', () => {
    expect(storableBody('application/json; charset=utf-8', '{"id":1,"list":[true]}')).toEqual({
      id: 1,
      list: [true],
    });
    expect(storableBody('application/problem+json; charset=utf-8', '{"code":"X"}')).toEqual({ code: 'X' });
    expect(storableBody('application/json', Buffer.from('[1,2]'))).toEqual([1, 2]);
  });

  it('stores an empty body as null', () => {
    expect(storableBody(undefined, undefined)).toBeNull();
    expect(storableBody('application/json', '')).toBeNull();
  });

  it('refuses streams, other media types, JSON scalars and unparsable text', () => {
    const refused = [
      storableBody('text/csv', 'a,b'),
      storableBody('application/json', '"just a string"'),
      storableBody('application/json', '{"cut'),
      storableBody('application/octet-stream', Buffer.from('{}')),
      storableBody(undefined, '{}'),
    ];
    expect(refused.every((r) => typeof r === 'symbol')).toBe(true);
    expect(typeof storableBody('application/json', Readable.from(['{}']))).toBe('symbol');
  });
});
