import { SCRIPTING } from './sql-keywords.js';
import type { Token } from './sql-tokenizer.js';
import { invalidSql, unsupported } from './translation-context.js';

export type StatementKind = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE' | 'CREATE_VIEW';

function createKind(tokens: readonly Token[]): StatementKind {
  const words: string[] = [];
  for (let i = 1; i < tokens.length && words.length < 4; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word' || t.value === 'IF') break;
    words.push(t.value);
    if (t.value === 'VIEW' || t.value === 'FUNCTION' || t.value === 'TABLE') break;
  }
  const kind = words.filter((w) => w !== 'OR' && w !== 'REPLACE');
  if (kind.length === 1 && kind[0] === 'VIEW') return 'CREATE_VIEW';
  throw unsupported(`statement CREATE ${kind.join(' ')}`);
}

/**
 * BigQuery's UPDATE and DELETE take a WHERE clause always ("The WHERE keyword is mandatory";
 * `WHERE true` for every row): DuckDB would run one without it on every row of the table, so SQL
 * that fails on BigQuery would pass the embedded warehouse's tests. Only a WHERE of the statement
 * itself counts, not one inside a subquery.
 */
function requireWhere(tokens: readonly Token[], kind: 'UPDATE' | 'DELETE'): void {
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'op' && (t.text === '(' || t.text === '[')) depth++;
    else if (t.kind === 'op' && (t.text === ')' || t.text === ']')) depth--;
    else if (depth === 0 && t.kind === 'word' && t.value === 'WHERE') return;
  }
  throw invalidSql(`${kind} needs a WHERE clause (WHERE true for every row)`);
}

/**
 * The kind of statement, rejecting the ones outside the subset. `impliedWord` is the keyword
 * BigQuery lets you omit after the first one (INSERT [INTO], DELETE [FROM], MERGE [INTO]) and
 * DuckDB requires.
 */
export function classifyStatement(tokens: readonly Token[]): { kind: StatementKind; impliedWord?: string } {
  const first = tokens[0]!;
  const second = tokens[1]?.value;
  if (first.kind === 'op' && first.text === '(') return { kind: 'SELECT' };
  if (first.kind !== 'word') throw invalidSql('a statement must start with a keyword');
  switch (first.value) {
    case 'SELECT':
    case 'WITH':
      return { kind: 'SELECT' };
    case 'UPDATE':
      requireWhere(tokens, 'UPDATE');
      return { kind: 'UPDATE' };
    case 'INSERT':
      return second === 'INTO' ? { kind: 'INSERT' } : { kind: 'INSERT', impliedWord: 'INTO' };
    case 'DELETE':
      requireWhere(tokens, 'DELETE');
      return second === 'FROM' ? { kind: 'DELETE' } : { kind: 'DELETE', impliedWord: 'FROM' };
    case 'MERGE':
      return second === 'INTO' ? { kind: 'MERGE' } : { kind: 'MERGE', impliedWord: 'INTO' };
    case 'CREATE':
      return { kind: createKind(tokens) };
    default:
      if (SCRIPTING.has(first.value)) throw unsupported(`scripting statement ${first.value}`);
      throw unsupported(`statement ${first.value}`);
  }
}
