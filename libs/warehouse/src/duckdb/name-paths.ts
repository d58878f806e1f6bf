import { COLUMN_LIST_CONTEXT, RESERVED, TABLE_CONTEXT } from './sql-keywords.js';
import { duckIdent, type Token } from './sql-tokenizer.js';
import type { StatementKind } from './statement-kind.js';
import { unsupported } from './translation-context.js';

/**
 * A dotted name starting at token `i`: `a.b`, `` `dataset.table` ``, `` `dataset`.`table` ``,
 * `` `project.dataset.table` ``. Returns its DuckDB spelling and the index after it.
 */
export function translatePath(
  tokens: readonly Token[],
  i: number,
  to: number,
  statement: StatementKind,
): { text: string; next: number } {
  const segments: Array<{ name: string; quoted: boolean }> = [];
  let j = i;
  for (;;) {
    const tk = tokens[j]!;
    if (tk.kind === 'quoted') {
      const parts = tk.value.split('.');
      // One backtick token of three parts is always project.dataset.table; the project is dropped.
      if (parts.length === 3 && segments.length === 0) parts.shift();
      segments.push(...parts.map((name) => ({ name, quoted: true })));
    } else {
      segments.push({ name: tk.text, quoted: false });
    }
    j++;
    const after = tokens[j + 1];
    if (j + 1 < to && tokens[j]!.text === '.' && (after?.kind === 'word' || after?.kind === 'quoted')) j++;
    else break;
  }
  const prev = tokens[i - 1];
  const inTableContext =
    prev?.kind === 'word' &&
    (TABLE_CONTEXT.has(prev.value) || (prev.value === 'USING' && statement === 'MERGE'));
  const dotted = () => segments.map((s) => s.name).join('.');
  if (segments.some((s) => s.name.includes('*')) || (inTableContext && tokens[j]?.text === '*')) {
    throw unsupported('wildcard table');
  }
  if (segments.some((s) => s.name.toUpperCase() === '_TABLE_SUFFIX')) {
    throw unsupported('wildcard table (_TABLE_SUFFIX)');
  }
  const columnList = prev?.kind === 'word' && COLUMN_LIST_CONTEXT.has(prev.value);
  if (j < to && tokens[j]!.text === '(' && !columnList) {
    throw unsupported(
      segments[0]!.name.toUpperCase() === 'SAFE' ? 'SAFE. function prefix' : `function ${dotted()}`,
    );
  }
  if (inTableContext && segments.length === 3) segments.shift();
  if (inTableContext && segments.length > 3) throw unsupported(`table path ${dotted()}`);
  return { text: segments.map((s) => (s.quoted ? duckIdent(s.name) : s.name)).join('.'), next: j };
}

/** The target table's name and alias in UPDATE / MERGE, upper-cased. */
function targetNames(tokens: readonly Token[]): Set<string> {
  const names = new Set<string>();
  let k = tokens[1]?.value === 'INTO' ? 2 : 1;
  for (; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'quoted') names.add(t.value.split('.').pop()!.toUpperCase());
    else if (t.kind === 'word' && tokens[k + 1]?.text !== '.') names.add(t.value);
    if (!(tokens[k + 1]?.kind === 'op' && tokens[k + 1]!.text === '.')) break;
    k++;
  }
  const alias = tokens[k + 1]?.value === 'AS' ? tokens[k + 2] : tokens[k + 1];
  if (alias && (alias.kind === 'quoted' || (alias.kind === 'word' && !RESERVED.has(alias.value)))) {
    names.add(alias.value.toUpperCase());
  }
  return names;
}

/**
 * Token indexes to drop so that `SET t.col = ...` becomes `SET col = ...`: DuckDB rejects the
 * qualifier where BigQuery allows the target's name or alias. Any other qualifier names a STRUCT
 * field, which DuckDB cannot update in place.
 */
export function setTargetQualifiers(tokens: readonly Token[], set: number, to: number): number[] {
  const target = targetNames(tokens);
  const drop: number[] = [];
  let depth = 0;
  let itemStart = set + 1;
  for (let k = set + 1; k < to; k++) {
    const tk = tokens[k]!;
    if (tk.kind === 'op' && (tk.text === '(' || tk.text === '[')) depth++;
    else if (tk.kind === 'op' && (tk.text === ')' || tk.text === ']')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && tk.kind === 'word' && ['FROM', 'WHERE', 'WHEN'].includes(tk.value)) break;
    else if (depth === 0 && tk.kind === 'op' && tk.text === ',') itemStart = k + 1;
    const qualified =
      k === itemStart &&
      (tk.kind === 'word' || tk.kind === 'quoted') &&
      tokens[k + 1]?.text === '.' &&
      tokens[k + 3]?.text === '=';
    if (qualified) {
      if (!target.has(tk.value.toUpperCase())) throw unsupported('UPDATE of a STRUCT field');
      drop.push(k, k + 1);
    }
  }
  return drop;
}
