import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import {
  columnList,
  fail,
  orderClause,
  pageClause,
  Params,
  qi,
  SCHEMA_NAME,
  selectList,
  whereClause,
} from './postgrest-query.js';
import { asRole, exposeSchema, primaryKey, SERVICE_ROLE, toHttpError } from './postgrest-session.js';
import { rpcRequest } from './postgrest-rpc.js';

/**
 * A local stand-in for Supabase's REST API: the PostgREST subset supabase-js 2.109 sends for table
 * reads and writes and RPC, executed on a real PostgreSQL through `pg`, answering with PostgREST's
 * JSON (rendered by Postgres itself, as PostgREST does) and its error format and statuses.
 */
export interface PostgrestServerOptions {
  connectionString: string;
  /** The one exposed schema; requests naming another profile get 406 like PostgREST. */
  schema: string;
  /** What clients must send as `apikey` and `Authorization: Bearer`; random when omitted. */
  serviceKey?: string;
  /** PostgREST's db-max-rows (Supabase: 1000): the most rows a read returns; no cap when omitted. */
  maxRows?: number;
  /**
   * The longest request target the gateway in front of PostgREST accepts (nginx/Kong: 8 KiB header
   * buffers); longer ones get a plain-text 414 before PostgREST sees them. Default 8192.
   */
  maxUrlLength?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters in order, repeated names kept. */
  query: [string, string][];
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
}

export interface PostgrestServer {
  /** The base URL to give createClient (it appends /rest/v1). */
  url: string;
  serviceKey: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** One request as the SQL builders need it (here and in postgrest-rpc.ts). */
export interface Req {
  pool: pg.Pool;
  schema: string;
  method: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  params: Params;
  prefs: Set<string>;
  maxRows?: number;
  /** The role the request runs as (the service key's). */
  role: string;
}

export type Answer = [status: number, body: string, headers: Record<string, string>];

const asJson = (source: string): string =>
  `SELECT coalesce(json_agg(_pgrst_r), '[]')::text AS body, count(*)::int AS n FROM ${source} _pgrst_r`;

async function insertSql(r: Req, target: string): Promise<string> {
  const { query, prefs, params } = r;
  const rows = (Array.isArray(r.body) ? r.body : [r.body]) as Record<string, unknown>[];
  if (rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw fail(400, 'PGRST102', 'All object keys must match');
  }
  let columns = columnList(query.get('columns'), 'columns');
  if (columns.length === 0) columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const missing = prefs.has('missing=default') ? 'DEFAULT' : 'NULL';
  // Postgres converts each JSON value to its column's type, as PostgREST's json_populate_recordset does.
  const tuples = rows.map((row) => {
    const param = params.add(JSON.stringify(row));
    const cells = columns.map((c) =>
      c in row ? `(json_populate_record(null::${target}, ${param}::json)).${qi(c)}` : missing,
    );
    return `(${cells.join(', ')})`;
  });
  let sql = columns.length
    ? `INSERT INTO ${target} (${columns.map(qi).join(', ')}) VALUES ${tuples.join(', ')}`
    : `INSERT INTO ${target} DEFAULT VALUES`;
  const merge = prefs.has('resolution=merge-duplicates');
  if (merge || prefs.has('resolution=ignore-duplicates')) {
    const onConflict = query.get('on_conflict');
    const keys = onConflict ? columnList(onConflict, 'on_conflict') : await primaryKey(r.pool, target);
    const action = merge
      ? `UPDATE SET ${columns.map((c) => `${qi(c)} = EXCLUDED.${qi(c)}`).join(', ')}`
      : 'NOTHING';
    sql += ` ON CONFLICT (${keys.map(qi).join(', ')}) DO ${action}`;
  }
  return sql;
}

/** A GET: the count (with count=exact) and the page in one read-only transaction, as PostgREST does. */
async function readRequest(r: Req, c: pg.PoolClient, target: string): Promise<Answer> {
  const { query, params } = r;
  const where = whereClause(query, params);
  let total = '*';
  if (r.prefs.has('count=exact')) {
    const counted = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${target}${where}`, [
      ...params.values,
    ]);
    total = String(counted.rows[0].n);
  }
  const [page, from] = pageClause(query, r.headers.range, params, r.maxRows);
  // PostgREST's rangeStatus: an offset past the known total is not satisfiable.
  if (total !== '*' && from > Number(total))
    throw fail(
      416,
      'PGRST103',
      'Requested range not satisfiable',
      `An offset of ${from} was requested, but there are only ${total} rows.`,
    );
  const source = `(SELECT ${selectList(query)} FROM ${target}${where}${orderClause(query.get('order'))}${page})`;
  const { rows } = await c.query<{ body: string; n: number }>(asJson(source), params.values);
  const n = rows[0].n;
  return [200, rows[0].body, { 'content-range': n ? `${from}-${from + n - 1}/${total}` : `*/${total}` }];
}

async function tableRequest(r: Req, table: string): Promise<Answer> {
  const { pool, query, params, body } = r;
  const target = `${qi(r.schema)}.${qi(table)}`;
  if (r.method === 'GET') return asRole(pool, r.role, true, (c) => readRequest(r, c, target));
  let statement: string;
  if (r.method === 'POST') {
    statement = await insertSql(r, target);
  } else if (r.method === 'PATCH') {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw fail(400, 'PGRST102', 'Expected an object');
    const param = params.add(JSON.stringify(body));
    const set = Object.keys(body).map(
      (c) => `${qi(c)} = (json_populate_record(null::${target}, ${param}::json)).${qi(c)}`,
    );
    if (set.length === 0) return [200, '[]', {}];
    statement = `UPDATE ${target} SET ${set.join(', ')}${whereClause(query, params)}`;
  } else if (r.method === 'DELETE') {
    statement = `DELETE FROM ${target}${whereClause(query, params)}`;
  } else {
    throw fail(405, 'PGRST117', `Unsupported HTTP method: ${r.method}`);
  }
  const sql = `WITH pgrst_source AS (${statement} RETURNING ${selectList(query)}) ${asJson('pgrst_source')}`;
  const { rows } = await asRole(pool, r.role, false, (c) => c.query<{ body: string }>(sql, params.values));
  const created = r.method === 'POST' ? 201 : 200;
  return r.prefs.has('return=representation')
    ? [created, rows[0].body, {}]
    : [created === 201 ? 201 : 204, '', {}];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPostgrestServer(options: PostgrestServerOptions): Promise<PostgrestServer> {
  const { schema } = options;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Unsupported schema name ${JSON.stringify(schema)}`);
  const serviceKey = options.serviceKey ?? `test-service-key-${randomBytes(12).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 5,
    // Supabase databases run in UTC; JSON timestamps depend on the session time zone.
    options: `-c search_path=${schema} -c TimeZone=UTC`,
  });
  pool.on('error', () => undefined);
  await exposeSchema(pool, schema);
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: [...url.searchParams],
      headers,
      body: undefined,
    };
    requests.push(recorded);
    if ((req.url ?? '').length > (options.maxUrlLength ?? 8192)) {
      // The gateway's answer, not PostgREST's: plain text, no error code.
      res.writeHead(414, { 'content-type': 'text/html' });
      res.end('<html><body>414 Request-URI Too Large</body></html>');
      return;
    }
    let status: number;
    let payload: string;
    let extra: Record<string, string> = {};
    try {
      if (req.headers.apikey !== serviceKey || req.headers.authorization !== `Bearer ${serviceKey}`) {
        throw fail(401, 'PGRST301', 'Invalid API key or JWT');
      }
      const profile =
        req.headers[req.method === 'GET' || req.method === 'HEAD' ? 'accept-profile' : 'content-profile'];
      if (profile !== undefined && profile !== schema) {
        throw fail(406, 'PGRST106', `The schema must be one of the following: ${schema}`);
      }
      try {
        recorded.body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        throw fail(400, 'PGRST102', 'Empty or invalid json');
      }
      const route = /^\/rest\/v1\/(?:(rpc)\/)?([^/]+)$/.exec(url.pathname);
      if (!route) throw fail(404, 'PGRST125', `Invalid path specified in request URL`);
      const name = decodeURIComponent(route[2]);
      if (route[1] && req.method !== 'POST') throw fail(405, 'PGRST101', 'Only POST is supported here');
      const prefs = new Set(String(req.headers.prefer ?? '').split(/\s*,\s*/));
      const r: Req = {
        pool,
        schema,
        method: recorded.method,
        query: url.searchParams,
        headers: req.headers,
        body: recorded.body,
        params: new Params(),
        prefs,
        maxRows: options.maxRows,
        role: SERVICE_ROLE,
      };
      [status, payload, extra] = route[1] ? await rpcRequest(r, name) : await tableRequest(r, name);
    } catch (err) {
      const httpError = toHttpError(err);
      status = httpError.status;
      payload = JSON.stringify(httpError.body);
    }
    res.writeHead(status, payload ? { 'content-type': 'application/json; charset=utf-8', ...extra } : extra);
    res.end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serviceKey,
    requests,
    async close() {
      // supabase-js keeps sockets alive; without this, close() would wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
