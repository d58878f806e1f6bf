import { parse } from 'fast-querystring';
import { parseQuery, undecodableParameters } from './query-string.js';

describe('parseQuery', () => {
  it('parses as Fastify does: repeats as lists, + as a space, bare names, an encoded % as text', () => {
    for (const query of ['', 'a=1&a=2&b=x+y', 'flag&c=', 'p=%25FF&q=Soci%C3%A9t%C3%A9', 'e=%3D%26'])
      expect({ ...parseQuery(query) }).toEqual({ ...parse(query) });
    expect(undecodableParameters(parseQuery('p=%25FF&q=Soci%C3%A9t%C3%A9'))).toBeUndefined();
  });

  it('names the parameters whose name or value does not decode, once each', () => {
    const query = parseQuery('ok=1&providers=%FF&providers=AWS&days=%ZZ&%C0%80=x&x+y=%E0%A4%A');
    expect(undecodableParameters(query)).toEqual(['providers', 'days', '%C0%80', 'x y']);
    expect(query.providers).toEqual(['%FF', 'AWS']);
  });

  it('remembers nothing of a value it did not parse', () => {
    expect(undecodableParameters({ providers: '%FF' })).toBeUndefined();
    expect(undecodableParameters(null)).toBeUndefined();
  });
});
