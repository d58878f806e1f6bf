import { WarehouseErrorCode } from '../warehouse.errors.js';
import { tokenize } from './sql-tokenizer.js';

const kinds = (sql: string) => tokenize(sql).map((t) => [t.kind, t.value]);

describe('BigQuery SQL tokenizer', () => {
  it('reads words, numbers, parameters and operators', () => {
    expect(kinds('select a1, 1.5e-3, .5, 0x1F, @from_date, @@project_id <= <> !=')).toEqual([
      ['word', 'SELECT'],
      ['word', 'A1'],
      ['op', ','],
      ['number', '1.5e-3'],
      ['op', ','],
      ['number', '.5'],
      ['op', ','],
      ['number', '0x1F'],
      ['op', ','],
      ['param', 'from_date'],
      ['op', ','],
      ['sysvar', 'project_id'],
      ['op', '<='],
      ['op', '<>'],
      ['op', '!='],
    ]);
  });

  it('decodes string literals in every quoting style', () => {
    expect(kinds(`'a\\'b' "c\\"d" '''e'f''' """g"h""" r'\\d' R"\\n" 'tab\\t' '\\101\\x42\\u0043'`)).toEqual([
      ['string', "a'b"],
      ['string', 'c"d'],
      ['string', "e'f"],
      ['string', 'g"h'],
      ['string', '\\d'],
      ['string', '\\n'],
      ['string', 'tab\t'],
      ['string', 'ABC'],
    ]);
  });

  it('reads bytes literals as hex and backtick identifiers with their dots', () => {
    expect(kinds("b'AB' rb'\\x' `p.ds.t` `a\\`b`")).toEqual([
      ['bytes', '4142'],
      ['bytes', '5c78'],
      ['quoted', 'p.ds.t'],
      ['quoted', 'a`b'],
    ]);
  });

  it('drops comments but remembers that a space stood there', () => {
    const tokens = tokenize("a/* '@x' */b -- c 'd\n#e\nf");

    expect(tokens.map((t) => [t.value, t.space])).toEqual([
      ['A', false],
      ['B', true],
      ['F', true],
    ]);
  });

  it('never reads SQL inside a string', () => {
    expect(kinds("'`x` -- @y /* z'")).toEqual([['string', '`x` -- @y /* z']]);
  });

  it.each([
    ["'open", 'unterminated quoted text'],
    ["'a\nb'", 'newline in a string literal'],
    ['/* open', 'unterminated comment'],
    ["'\\q'", 'invalid escape \\q'],
    ['``', 'empty quoted identifier'],
    ['a $ b', 'unexpected character "$"'],
    ['@ x', 'parameter without a name'],
  ])('fails on %j', (sql, message) => {
    expect(() => tokenize(sql)).toThrow(
      expect.objectContaining({
        code: WarehouseErrorCode.QueryFailed,
        detail: expect.stringContaining(message),
      }),
    );
  });
});
