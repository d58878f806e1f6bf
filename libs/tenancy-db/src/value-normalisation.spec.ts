import { numericTextToNumber, timestampTextToIso, timestamptzTextToIso } from './value-normalisation.js';

describe('value normalisation', () => {
  it.each([
    ['2024-05-01 10:00:00+00', '2024-05-01T10:00:00+00:00'],
    ['2024-05-01 10:00:00.123456+00', '2024-05-01T10:00:00.123456+00:00'],
    ['2024-05-01 10:00:00.5+05:30', '2024-05-01T10:00:00.5+05:30'],
    ['infinity', 'infinity'],
  ])('renders timestamptz text %s as Postgres JSON does: %s', (text, iso) => {
    expect(timestamptzTextToIso(text)).toBe(iso);
  });

  it('renders timestamp without time zone with a T and no offset', () => {
    expect(timestampTextToIso('2024-05-01 10:00:00.25')).toBe('2024-05-01T10:00:00.25');
  });

  it('reads numeric and bigint text as numbers', () => {
    expect(numericTextToNumber('119.00')).toBe(119);
    expect(numericTextToNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });
});
