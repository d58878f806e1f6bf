import { startFakeBigQuery, type FakeBigQuery } from '#test/bigquery-server';
import { param } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { QueryParams } from '../warehouse.port.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

interface WireParam {
  name: string;
  parameterType: unknown;
  parameterValue: unknown;
}

describe('BigQueryWarehouse query parameters', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;

  beforeEach(async () => {
    fake = await startFakeBigQuery();
    wh = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await wh.close();
    await fake.close();
  });

  async function sent(params: QueryParams): Promise<Record<string, WireParam>> {
    await wh.query('SELECT @x', params);
    const body = fake.requests.at(-1)?.body as { parameterMode: string; queryParameters: WireParam[] };
    expect(body.parameterMode).toBe('NAMED');
    return Object.fromEntries(body.queryParameters.map((p) => [p.name, p]));
  }

  it('types plain values as the client library would: STRING, INT64, FLOAT64, BOOL, TIMESTAMP, BYTES', async () => {
    const p = await sent({
      s: 'aws',
      i: 42,
      f: 12.5,
      b: false,
      t: new Date('2026-01-31T10:20:30.456Z'),
      raw: Buffer.from('hi'),
    });
    expect(p.s).toEqual({ name: 's', parameterType: { type: 'STRING' }, parameterValue: { value: 'aws' } });
    expect(p.i).toEqual({ name: 'i', parameterType: { type: 'INT64' }, parameterValue: { value: 42 } });
    expect(p.f).toEqual({ name: 'f', parameterType: { type: 'FLOAT64' }, parameterValue: { value: 12.5 } });
    expect(p.b).toEqual({ name: 'b', parameterType: { type: 'BOOL' }, parameterValue: { value: false } });
    expect(p.t).toEqual({
      name: 't',
      parameterType: { type: 'TIMESTAMP' },
      parameterValue: { value: '2026-01-31T10:20:30.456Z' },
    });
    // base64, where the library alone would send {"type":"Buffer","data":[104,105]}
    expect(p.raw).toEqual({
      name: 'raw',
      parameterType: { type: 'BYTES' },
      parameterValue: { value: 'aGk=' },
    });
  });

  it('sends arrays as ARRAY<STRING>, ARRAY<INT64>, and ARRAY<FLOAT64> when any element is fractional', async () => {
    const p = await sent({ providers: ['aws', 'gcp'], ids: [1, 2], costs: [1, 2.5] });
    expect(p.providers).toEqual({
      name: 'providers',
      parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
      parameterValue: { arrayValues: [{ value: 'aws' }, { value: 'gcp' }] },
    });
    expect(p.ids.parameterType).toEqual({ type: 'ARRAY', arrayType: { type: 'INT64' } });
    expect(p.costs).toEqual({
      name: 'costs',
      parameterType: { type: 'ARRAY', arrayType: { type: 'FLOAT64' } },
      parameterValue: { arrayValues: [{ value: 1 }, { value: 2.5 }] },
    });
  });

  it('sends typed NULLs with their explicit type and a null value', async () => {
    const p = await sent({
      s: param.string(null),
      n: param.int(null),
      d: param.date(null),
      j: param.json(null),
    });
    expect(p.s).toEqual({ name: 's', parameterType: { type: 'STRING' }, parameterValue: { value: null } });
    expect(p.n).toEqual({ name: 'n', parameterType: { type: 'INT64' }, parameterValue: { value: null } });
    expect(p.d.parameterType).toEqual({ type: 'DATE' });
    expect(p.j.parameterType).toEqual({ type: 'JSON' });
  });

  it('sends DATE and TIMESTAMP strings with their value (the library alone would send NULL)', async () => {
    const p = await sent({ day: param.date('2026-01-31'), at: param.timestamp('2026-01-31T00:00:00Z') });
    expect(p.day).toEqual({
      name: 'day',
      parameterType: { type: 'DATE' },
      parameterValue: { value: '2026-01-31' },
    });
    expect(p.at).toEqual({
      name: 'at',
      parameterType: { type: 'TIMESTAMP' },
      parameterValue: { value: '2026-01-31T00:00:00.000Z' },
    });
  });

  it('reads a TIMESTAMP string without a time zone as UTC, as BigQuery does, whatever the host zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const p = await sent({
        spaced: param.timestamp('2026-01-31 10:00:00'),
        iso: param.timestamp('2026-01-31T10:00:00.5'),
        zoned: param.timestamp('2026-01-31 10:00:00+02:00'),
      });
      expect(p.spaced!.parameterValue).toEqual({ value: '2026-01-31T10:00:00.000Z' });
      expect(p.iso!.parameterValue).toEqual({ value: '2026-01-31T10:00:00.500Z' });
      expect(p.zoned!.parameterValue).toEqual({ value: '2026-01-31T08:00:00.000Z' });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('sends JSON as JSON text, NUMERIC as a decimal string and BOOL/FLOAT64 typed values as given', async () => {
    const p = await sent({
      obj: param.json({ team: 'core', weight: 2 }),
      list: param.json([1, 2]),
      text: param.json('hello'),
      price: param.numeric('12.50'),
      rate: param.numeric(0.1),
      flag: param.bool(true),
      ratio: param.float(3),
    });
    expect(p.obj.parameterValue).toEqual({ value: '{"team":"core","weight":2}' });
    expect(p.list.parameterValue).toEqual({ value: '[1,2]' });
    expect(p.text.parameterValue).toEqual({ value: '"hello"' });
    expect(p.price).toEqual({
      name: 'price',
      parameterType: { type: 'NUMERIC' },
      parameterValue: { value: '12.50' },
    });
    expect(p.rate.parameterValue).toEqual({ value: '0.1' });
    expect(p.flag.parameterType).toEqual({ type: 'BOOL' });
    expect(p.ratio).toEqual({
      name: 'ratio',
      parameterType: { type: 'FLOAT64' },
      parameterValue: { value: 3 },
    });
  });

  it('sends an INT64 past 2^53 as its exact decimal text, as the embedded warehouse binds it', async () => {
    // JSON.stringify(2 ** 60) is 1152921504606847000, which BigQuery would read as another integer.
    const p = await sent({ plain: 2 ** 60, typed: param.int(-(2 ** 60)), ids: param.intArray([2 ** 60, 7]) });
    expect(p.plain.parameterValue).toEqual({ value: '1152921504606846976' });
    expect(p.typed.parameterValue).toEqual({ value: '-1152921504606846976' });
    expect(p.ids.parameterValue).toEqual({ arrayValues: [{ value: '1152921504606846976' }, { value: 7 }] });
  });

  it('sends typed arrays, empty ones included, with their element type', async () => {
    const p = await sent({ none: param.stringArray([]), ids: param.intArray([3, 4]) });
    expect(p.none).toEqual({
      name: 'none',
      parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
      parameterValue: { arrayValues: [] },
    });
    expect(p.ids.parameterValue).toEqual({ arrayValues: [{ value: 3 }, { value: 4 }] });
  });

  it('sends BYTES typed params as base64 and a typed NULL as null', async () => {
    const p = await sent({ b: param.bytes(Buffer.from([0, 255])), nb: param.bytes(null) });
    expect(p.b.parameterValue).toEqual({ value: 'AP8=' });
    expect(p.nb.parameterValue).toEqual({ value: null });
  });

  it('refuses an unparsable TIMESTAMP without quoting it', async () => {
    const err = await wh
      .query('SELECT @at', { at: param.timestamp('not-a-time-xyz') })
      .catch((e: unknown) => e);
    expect((err as WarehouseError).code).toBe(WarehouseErrorCode.QueryFailed);
    expect((err as WarehouseError).detail).toBe('Query parameter @at could not be encoded as TIMESTAMP.');
    expect(JSON.stringify(err) + String((err as Error).cause)).not.toContain('not-a-time-xyz');
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['a null', { x: null as unknown as string }, 'is null or undefined'],
    ['an empty array', { x: [] as string[] }, 'is an empty array'],
    ['an object', { x: { a: 1 } as unknown as string }, 'has no BigQuery type of its own'],
  ])('refuses %s without an explicit type before sending anything', async (_what, params, why) => {
    const err = await wh.query('SELECT @x', params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as WarehouseError).code).toBe(WarehouseErrorCode.QueryFailed);
    expect((err as WarehouseError).detail).toContain(`@x ${why}`);
    expect(fake.requests).toHaveLength(0);
  });
});
