/** PostgREST's request vocabulary (filters, select, order, paging) turned into parameterized SQL, and its error shape. */
interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

export const fail = (
  status: number,
  code: string,
  message: string,
  details: string | null = null,
): HttpError => new HttpError(status, { code, message, details, hint: null });

export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const qi = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict']);
const COMPARISONS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const IS_VALUES: Record<string, string> = { null: 'NULL', true: 'TRUE', false: 'FALSE', unknown: 'UNKNOWN' };

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `"a,b",c` inside `in.( )`: double quotes protect reserved characters, backslash escapes. */
function parseList(inner: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quoted && c === '\\' && i + 1 < inner.length) current += inner[++i];
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      items.push(current);
      current = '';
    } else current += c;
  }
  if (inner.length > 0) items.push(current);
  return items;
}

function condition(column: string, expr: string, params: Params): string {
  const dot = expr.indexOf('.');
  const [op, value] = dot < 0 ? [expr, ''] : [expr.slice(0, dot), expr.slice(dot + 1)];
  if (op in COMPARISONS) return `${qi(column)} ${COMPARISONS[op]} ${params.add(value)}`;
  if (op === 'is' && value in IS_VALUES) return `${qi(column)} IS ${IS_VALUES[value]}`;
  if (op === 'in' && value.startsWith('(') && value.endsWith(')')) {
    return `${qi(column)} = ANY(${params.add(parseList(value.slice(1, -1)))})`;
  }
  throw fail(400, 'PGRST100', `"failed to parse filter (${expr})" (line 1, column 1)`);
}

export function whereClause(query: URLSearchParams, params: Params): string {
  const conditions = [...query].filter(([k]) => !RESERVED.has(k)).map(([k, v]) => condition(k, v, params));
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

export function columnList(value: string | null, what: string): string[] {
  if (value === null || value === '' || value === '*') return [];
  return value.split(',').map((raw) => {
    const name = raw.trim().replace(/^"(.*)"$/, '$1');
    if (!name || /[.:()!]/.test(name)) throw fail(400, 'PGRST100', `unsupported ${what} "${raw}"`);
    return name;
  });
}

export function selectList(query: URLSearchParams): string {
  const columns = columnList(query.get('select'), 'select');
  return columns.length ? columns.map(qi).join(', ') : '*';
}

export function orderClause(value: string | null): string {
  if (!value) return '';
  const terms = value.split(',').map((term) => {
    const [column, ...mods] = term.split('.');
    const sql = [qi(column)];
    for (const mod of mods) {
      const word = { asc: 'ASC', desc: 'DESC', nullsfirst: 'NULLS FIRST', nullslast: 'NULLS LAST' }[mod];
      if (!word) throw fail(400, 'PGRST100', `"failed to parse order (${term})" (line 1, column 1)`);
      sql.push(word);
    }
    return sql.join(' ');
  });
  return ` ORDER BY ${terms.join(', ')}`;
}

/** `limit`/`offset` parameters, else a `Range: from-to` header (what older clients send). */
export function pageClause(
  query: URLSearchParams,
  range: string | undefined,
  params: Params,
  maxRows?: number,
): [string, number] {
  let limit = query.get('limit');
  let offset = query.get('offset');
  const m = range === undefined ? null : /^(\d+)-(\d*)$/.exec(range);
  if (m && limit === null && offset === null) {
    offset = m[1];
    if (m[2]) limit = String(Number(m[2]) - Number(m[1]) + 1);
  }
  const from = offset === null ? 0 : Number(offset);
  // PostgREST's db-max-rows: no read returns more, whatever it asked for, and nothing says so.
  const rows = limit === null ? maxRows : Math.min(Number(limit), maxRows ?? Number.POSITIVE_INFINITY);
  let sql = rows === undefined ? '' : ` LIMIT ${params.add(rows)}`;
  if (offset !== null) sql += ` OFFSET ${params.add(from)}`;
  return [sql, from];
}
