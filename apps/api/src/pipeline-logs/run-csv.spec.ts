import { parse } from 'csv-parse/sync';
import { csvField, toCsv } from './run-csv.js';

describe('RFC 4180 CSV', () => {
  it('quotes fields holding a comma, a quote, CR or LF and doubles the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('writes null as an empty field, numbers as digits, objects as JSON', () => {
    expect([csvField(null), csvField(undefined), csvField(12), csvField(false)]).toEqual([
      '',
      '',
      '12',
      'false',
    ]);
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-2+3,x')).toBe(`"'-2+3,x"`);
    expect(csvField(-5)).toBe('-5');
  });

  it('defuses a formula after leading white space or in full-width characters', () => {
    expect(csvField(' =1+1')).toBe("' =1+1");
    expect(csvField('\n\t@SUM(A1)')).toBe(`"'\n\t@SUM(A1)"`);
    expect(csvField('\u3000+1')).toBe("'\u3000+1");
    expect(csvField('\uff1dHYPERLINK("x")')).toBe(`"'\uff1dHYPERLINK(""x"")"`);
    expect(csvField('\uff20A1')).toBe("'\uff20A1");
    expect(csvField('\tplain')).toBe("'\tplain");
    expect(csvField(' plain = text')).toBe(' plain = text');
  });

  it('ends every record with CRLF and reads back as written', () => {
    const rows = [['a', 'b, "c"'], [], ['multi\r\nline', 3]];
    const text = toCsv(rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parse(text, { relax_column_count: true })).toEqual([
      ['a', 'b, "c"'],
      [''],
      ['multi\r\nline', '3'],
    ]);
  });
});
