import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';

export type TokenKind =
  | 'word' // bare identifier or keyword
  | 'quoted' // `backtick identifier` (value = unescaped content, may hold dots)
  | 'string' // '...' "..." '''...''' r'...' (value = decoded text)
  | 'bytes' // b'...' (value = hex of the bytes)
  | 'number'
  | 'param' // @name (value = name)
  | 'sysvar' // @@name
  | 'op';

export interface Token {
  readonly kind: TokenKind;
  /** Source text (for `op` the operator itself). */
  readonly text: string;
  /** Decoded value for quoted/string/bytes/param; upper-cased text for words. */
  readonly value: string;
  /** Whitespace or a comment preceded the token; kept so the output stays readable. */
  readonly space: boolean;
  readonly pos: number;
}

// Longest first, so `<=` wins over `<`.
const OPERATORS = [
  '->>', '<=', '>=', '<>', '!=', '||', '<<', '>>', '=>', '->', '::', '==', '**',
  '(', ')', '[', ']', ',', '.', ';', '+', '-', '*', '/', '=', '<', '>', '&', '|', '^', '~', '%', ':', '?', '{', '}',
]; // prettier-ignore

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '?': '?',
  '"': '"',
  "'": "'",
  '`': '`',
};

function syntaxError(message: string, pos: number): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Syntax error: ${message} at offset ${pos}`);
}

const isWordStart = (c: string) => /[A-Za-z_]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * Splits BigQuery Standard SQL into tokens. Every later rewrite works on these tokens, so text
 * inside string literals, quoted identifiers and comments can never be mistaken for SQL.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = false;
  const push = (kind: TokenKind, start: number, value: string) => {
    tokens.push({ kind, text: sql.slice(start, i), value, space, pos: start });
    space = false;
  };

  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
      space = true;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-')) {
      while (i < sql.length && sql[i] !== '\n') i++;
      space = true;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw syntaxError('unterminated comment', start);
      i = close + 2;
      space = true;
    } else if (c === '`') {
      const { value, end } = readQuoted(sql, i, '`', false);
      i = end;
      if (value === '') throw syntaxError('empty quoted identifier', start);
      push('quoted', start, value);
    } else if (c === "'" || c === '"') {
      const { value, end } = readQuoted(sql, i, c, false);
      i = end;
      push('string', start, value);
    } else if (isStringPrefix(sql, i)) {
      const prefix = /^[rRbB]{1,2}/.exec(sql.slice(i, i + 2))![0];
      const lower = prefix.toLowerCase();
      const { value, end } = readQuoted(sql, i + prefix.length, sql[i + prefix.length]!, lower.includes('r'));
      i = end;
      if (lower.includes('b')) push('bytes', start, Buffer.from(value, 'latin1').toString('hex'));
      else push('string', start, value);
    } else if (isWordStart(c)) {
      while (i < sql.length && isWordPart(sql[i]!)) i++;
      push('word', start, sql.slice(start, i).toUpperCase());
    } else if (isDigit(c) || (c === '.' && isDigit(sql[i + 1] ?? ''))) {
      i = readNumber(sql, i);
      push('number', start, sql.slice(start, i));
    } else if (c === '@') {
      const sys = sql[i + 1] === '@';
      i += sys ? 2 : 1;
      const nameStart = i;
      while (i < sql.length && isWordPart(sql[i]!)) i++;
      if (i === nameStart) throw syntaxError('parameter without a name', start);
      push(sys ? 'sysvar' : 'param', start, sql.slice(nameStart, i));
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (!op) throw syntaxError(`unexpected character ${JSON.stringify(c)}`, start);
      i += op.length;
      push('op', start, op);
    }
  }
  return tokens;
}

function isStringPrefix(sql: string, i: number): boolean {
  const m = /^[rRbB]{1,2}(?=['"])/.exec(sql.slice(i, i + 3));
  if (!m) return false;
  const p = m[0].toLowerCase();
  return p === 'r' || p === 'b' || p === 'rb' || p === 'br';
}

function readNumber(sql: string, i: number): number {
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    i += 2;
    while (i < sql.length && /[0-9A-Fa-f]/.test(sql[i]!)) i++;
    return i;
  }
  while (i < sql.length && isDigit(sql[i]!)) i++;
  if (sql[i] === '.') {
    i++;
    while (i < sql.length && isDigit(sql[i]!)) i++;
  }
  if ((sql[i] === 'e' || sql[i] === 'E') && /^[eE][+-]?\d/.test(sql.slice(i, i + 3))) {
    i += sql[i + 1] === '+' || sql[i + 1] === '-' ? 2 : 1;
    while (i < sql.length && isDigit(sql[i]!)) i++;
  }
  return i;
}

/** Reads a quoted run starting at `i` (the opening quote), honouring triple quotes and escapes. */
function readQuoted(sql: string, i: number, quote: string, raw: boolean): { value: string; end: number } {
  const start = i;
  const triple = quote !== '`' && sql.startsWith(quote.repeat(3), i);
  const closer = triple ? quote.repeat(3) : quote;
  i += closer.length;
  let value = '';
  for (;;) {
    if (i >= sql.length) throw syntaxError('unterminated quoted text', start);
    if (sql.startsWith(closer, i)) return { value, end: i + closer.length };
    const c = sql[i]!;
    if (c === '\n' && !triple && quote !== '`') throw syntaxError('newline in a string literal', start);
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const n = sql[i + 1];
    if (n === undefined) throw syntaxError('unterminated quoted text', start);
    if (raw) {
      // A raw string keeps the backslash; it only stops an escaped quote from closing the string.
      value += c + n;
      i += 2;
      continue;
    }
    const decoded = decodeEscape(sql, i);
    if (!decoded) throw syntaxError(`invalid escape \\${n}`, i);
    value += decoded.text;
    i = decoded.end;
  }
}

function decodeEscape(sql: string, i: number): { text: string; end: number } | null {
  const n = sql[i + 1]!;
  if (n in SIMPLE_ESCAPES) return { text: SIMPLE_ESCAPES[n]!, end: i + 2 };
  const hex = (len: number, from: number) => {
    const digits = sql.slice(from, from + len);
    return new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(digits) ? parseInt(digits, 16) : null;
  };
  if (n === 'x' || n === 'X') {
    const code = hex(2, i + 2);
    return code === null ? null : { text: String.fromCharCode(code), end: i + 4 };
  }
  if (n === 'u' || n === 'U') {
    const len = n === 'u' ? 4 : 8;
    const code = hex(len, i + 2);
    return code === null || code > 0x10ffff ? null : { text: String.fromCodePoint(code), end: i + 2 + len };
  }
  const octal = sql.slice(i + 1, i + 4);
  if (/^[0-7]{3}$/.test(octal)) return { text: String.fromCharCode(parseInt(octal, 8)), end: i + 4 };
  return null;
}

/** Index of the token closing the bracket opened at `open`, or -1. */
export function matchingClose(tokens: readonly Token[], open: number): number {
  const opener = tokens[open]!.text;
  const closer = opener === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth === 0) return t.text === closer ? i : -1;
    }
  }
  return -1;
}

/** Splits [from, to) at commas that are not nested in brackets. */
export function splitTopLevel(tokens: readonly Token[], from: number, to: number): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  if (to > from) parts.push([start, to]);
  return parts;
}

/** First index in [from, to) of a top-level word with this (upper-case) value, or -1. */
export function findTopLevelWord(tokens: readonly Token[], from: number, to: number, word: string): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'op' && (t.text === '(' || t.text === '[')) depth++;
    else if (t.kind === 'op' && (t.text === ')' || t.text === ']')) depth--;
    else if (depth === 0 && t.kind === 'word' && t.value === word) return i;
  }
  return -1;
}

/** A DuckDB string literal holding exactly `value`. */
export function duckString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A DuckDB quoted identifier. */
export function duckIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
