import { toDate, toFloat, toJson, toNumeric, toText, toTimestamp, ValueProblem } from './focus-values.js';

describe('FOCUS cell values', () => {
  it('reads decimals as numbers rounded to NUMERIC scale (9 places)', () => {
    expect(toNumeric('12.345678901')).toBe(12.345678901);
    expect(toNumeric(' -0.5 ')).toBe(-0.5);
    expect(toNumeric('0.1234567891')).toBe(0.123456789);
    // Half away from zero, as BigQuery rounds a NUMERIC, whichever the sign.
    expect(toNumeric('0.0000000005')).toBe(0.000000001);
    expect(toNumeric('-0.0000000005')).toBe(-0.000000001);
    expect(toNumeric('1.2E-5')).toBe(0.000012);
    expect(toNumeric(0.1 + 0.2)).toBe(0.3);
    expect(toNumeric(12n)).toBe(12);
  });

  it.each(['twelve', '1,5', 'NaN', 'Infinity', '1.2.3'])('refuses %s as a decimal', (text) => {
    expect(() => toNumeric(text)).toThrow(ValueProblem);
  });

  it('reads a date-time without an offset as UTC, whatever the server zone', () => {
    expect(toTimestamp('2025-03-01T10:30:00').toISOString()).toBe('2025-03-01T10:30:00.000Z');
    expect(toTimestamp('2025-03-01 10:30:00 UTC').toISOString()).toBe('2025-03-01T10:30:00.000Z');
    expect(toTimestamp('2025-03-01').toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('applies offsets and keeps milliseconds of long fractions', () => {
    expect(toTimestamp('2025-03-01T00:00:00+02:00').toISOString()).toBe('2025-02-28T22:00:00.000Z');
    expect(toTimestamp('2025-03-01T00:00:00-0530').toISOString()).toBe('2025-03-01T05:30:00.000Z');
    expect(toTimestamp('2024-01-01T00:00:00.1234567Z').toISOString()).toBe('2024-01-01T00:00:00.123Z');
  });

  it('keeps the years 0 to 99 as written (Date.UTC moved them to 1900-1999)', () => {
    expect(toTimestamp('0026-10-05T00:00:00Z').toISOString()).toBe('0026-10-05T00:00:00.000Z');
    expect(toDate('0001-01-01')).toBe('0001-01-01');
    expect(toTimestamp('0099-12-31T23:30:00-01:00').toISOString()).toBe('0100-01-01T00:30:00.000Z');
    expect(() => toTimestamp('0026-02-29')).toThrow(ValueProblem);
  });

  it('reads an hour-only offset as the same instant as the full one', () => {
    expect(toTimestamp('2026-10-05T00:00:00+05').toISOString()).toBe('2026-10-04T19:00:00.000Z');
    expect(toTimestamp('2026-10-05T00:00:00-03').toISOString()).toBe('2026-10-05T03:00:00.000Z');
    expect(toTimestamp('2026-10-05T00:00:00+05').getTime()).toBe(
      toTimestamp('2026-10-05T00:00:00+05:00').getTime(),
    );
  });

  it.each([
    '2025-02-30',
    '2025-13-01T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '01/03/2025',
    '',
    '2025-01-01T00:00:00+5',
    '2025-01-01T00:00:00+053',
    // A numeric offset without a time.
    '2025-01-01-05',
    '2025-01-01+05:00',
    // Offsets past RFC 3339's ±23:59.
    '2026-10-05T00:00:00+25',
    '2026-10-05T00:00:00-24:00',
    '2026-10-05T00:00:00+05:60',
  ])('refuses %j as a date-time', (text) => {
    expect(() => toTimestamp(text)).toThrow(ValueProblem);
  });

  it('turns dates into YYYY-MM-DD and numbers into floats', () => {
    expect(toDate(new Date('2025-03-01T23:00:00Z'))).toBe('2025-03-01');
    expect(toFloat('0.25')).toBe(0.25);
    expect(() => toFloat('abc')).toThrow(ValueProblem);
  });

  it('checks JSON text and serialises structured values', () => {
    expect(toJson('{"env":"prod"}')).toBe('{"env":"prod"}');
    expect(toJson({ env: 'prod' })).toBe('{"env":"prod"}');
    expect(() => toJson('{env: prod}')).toThrow('expected JSON text');
  });

  it("serialises a Parquet struct's INT64 fields (bigints), refusing one JSON cannot hold exactly as a row's problem", () => {
    expect(toJson({ team: 'core', cost_center: 4021n, nested: { ids: [1n, 2n] } })).toBe(
      '{"team":"core","cost_center":4021,"nested":{"ids":[1,2]}}',
    );
    expect(() => toJson({ id: 9007199254740993n })).toThrow(ValueProblem);
    expect(() => toJson({ id: 9007199254740993n })).toThrow('9007199254740993');
  });

  it('accepts scalars as text but not objects', () => {
    expect(toText(42)).toBe('42');
    expect(() => toText({ a: 1 })).toThrow('expected text, got object');
  });
});
