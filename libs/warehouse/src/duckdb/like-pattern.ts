import { RESERVED } from './sql-keywords.js';
import { duckString, matchingClose, type Token } from './sql-tokenizer.js';
import { invalidSql, unsupported } from './translation-context.js';

/** Operators binding tighter than LIKE, which may join the parts of its pattern. */
const PATTERN_JOINERS = new Set(['||', '+', '-', '*', '/']);

function closeOf(tokens: readonly Token[], open: number, to: number): number {
  const close = matchingClose(tokens, open);
  if (close < 0 || close >= to) throw invalidSql(`unbalanced ${tokens[open]!.text}`);
  return close;
}

/** The end (exclusive) of one operand starting at `k`: a value, a name, a call or a parenthesis. */
function primaryEnd(tokens: readonly Token[], k: number, to: number): number {
  const t = k < to ? tokens[k] : undefined;
  if (!t) return -1;
  let end: number;
  if (t.kind === 'op' && t.text === '(') end = closeOf(tokens, k, to) + 1;
  else if (t.kind === 'word' && tokens[k + 1]?.text === '(' && k + 1 < to)
    end = closeOf(tokens, k + 1, to) + 1;
  else if (t.kind === 'word') end = RESERVED.has(t.value) && t.value !== 'NULL' ? -1 : k + 1;
  else if (t.kind === 'op' || t.kind === 'sysvar') end = -1;
  else end = k + 1;
  while (end > 0 && end < to) {
    const after = tokens[end]!;
    const then = tokens[end + 1];
    if (after.text === '.' && after.kind === 'op' && (then?.kind === 'word' || then?.kind === 'quoted'))
      end += 2;
    else if (after.text === '[' && after.kind === 'op') end = closeOf(tokens, end, to) + 1;
    else break;
  }
  return end;
}

/**
 * `LIKE pattern` from the LIKE keyword at `i`. BigQuery's LIKE escapes with a backslash, whatever
 * the pattern's origin (a literal, a parameter, a CONCAT); DuckDB's has no escape character unless
 * told, so every pattern that may hold a backslash gets ESCAPE '\'. `translate` renders a range.
 */
export function translateLike(
  tokens: readonly Token[],
  i: number,
  to: number,
  translate: (from: number, to: number) => string,
): { text: string; next: number } {
  const first = tokens[i + 1];
  if (first?.kind === 'word' && ['ANY', 'SOME', 'ALL'].includes(first.value))
    throw unsupported(`LIKE ${first.value}`);
  let end = primaryEnd(tokens, i + 1, to);
  while (end > 0 && end < to && tokens[end]!.kind === 'op' && PATTERN_JOINERS.has(tokens[end]!.text))
    end = primaryEnd(tokens, end + 1, to);
  if (end < 0) throw invalidSql('LIKE expects a pattern');
  const literal = end === i + 2 && first?.kind === 'string';
  if (literal && !first.value.includes('\\')) return { text: `LIKE ${duckString(first.value)}`, next: end };
  const pattern = literal ? duckString(first.value) : `(${translate(i + 1, end)})`;
  return { text: `LIKE ${pattern} ESCAPE '\\'`, next: end };
}
