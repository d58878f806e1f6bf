/**
 * The SQL side of bench/quota: pg connections calling reserve_pipeline_quota (or the floor under
 * it, a function making only its writes) back to back, with the CPU each side spent.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cpuMark, cpuPer } from './cpu-usage.js';

/** Sessions calling the function at once, one org each. */
export const SQL_CONNECTIONS = 20;
export const PIPELINE = 'subscription_costs';
/** Limits no run of the bench reaches: the bench measures admissions, not refusals. */
export const UNLIMITED = {
  pipelines_per_day_limit: 10_000_000,
  pipelines_per_month_limit: 10_000_000,
  concurrent_pipelines_limit: 10_000_000,
};

const RESERVE_SQL =
  'SELECT granted FROM reserve_pipeline_quota(p_org_slug => $1, p_run_id => $2, p_pipeline_id => $3)';

/**
 * The floor under reserve_pipeline_quota: only the writes a granted reservation cannot do without
 * (the org's lock, its two counters, the reservation row), in one function, with no check and no
 * read. Created in the bench's schema; it tells what the checks cost from what this machine's
 * PostgreSQL charges for the writes themselves.
 */
export const FLOOR_FUNCTION = `
CREATE FUNCTION bench_reserve_floor(p_org_slug text, p_run_id text, p_pipeline_id text)
RETURNS TABLE (granted boolean) LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_day date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
  PERFORM pg_advisory_xact_lock(20240004, hashtext(current_schema() || ':' || p_org_slug));
  UPDATE pipeline_quota_state s SET clock = greatest(s.clock, now()), reserved = s.reserved + 1
  WHERE s.org_slug = p_org_slug;
  IF NOT FOUND THEN
    INSERT INTO pipeline_quota_state (org_slug, clock, reserved) VALUES (p_org_slug, now(), 1);
  END IF;
  UPDATE pipeline_quota_daily d SET pipelines_run = d.pipelines_run + 1, updated_at = now()
  WHERE d.org_slug = p_org_slug AND d.usage_date = v_day;
  IF NOT FOUND THEN
    INSERT INTO pipeline_quota_daily (org_slug, usage_date, pipelines_run) VALUES (p_org_slug, v_day, 1);
  END IF;
  INSERT INTO pipeline_reservations (org_slug, run_id, pipeline_id, reservation_date, reserved_at, expires_at)
  VALUES (p_org_slug, p_run_id, p_pipeline_id, v_day, now(), now() + interval '30 minutes');
  granted := true;
  RETURN NEXT;
END
$$`;
export const FLOOR_SQL = 'SELECT granted FROM bench_reserve_floor($1, $2, $3)';

/**
 * SQL_CONNECTIONS sessions, one org each (new orgs named after `prefix`), calling `statement`
 * (reserve_pipeline_quota by default) back to back.
 */
export async function sqlLoad(
  url: string,
  schema: string,
  seconds: number,
  {
    prefix,
    settings = '',
    statement = RESERVE_SQL,
  }: { prefix: string; settings?: string; statement?: string },
): Promise<{ reservations: number; refused: number; cpu: ReturnType<typeof cpuPer> }> {
  const pool = new pg.Pool({
    connectionString: url,
    max: SQL_CONNECTIONS,
    options: `-c search_path=${schema} ${settings}`,
  });
  try {
    const orgs = await benchOrgs(pool, prefix);
    let reservations = 0;
    let refused = 0;
    // Marked while the pool is open: an exited backend's CPU reaches the postmaster's account only
    // once it is reaped, which may be after a later mark.
    const start = cpuMark();
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      orgs.map(async (org) => {
        for (let seq = 0; Date.now() < until; seq++) {
          // Prepared once per connection, as the API's pg driver calls SQL functions.
          const { rows } = await pool.query<{ granted: boolean }>({
            name: 'reserve',
            text: statement,
            values: [org, `sql-${seq}`, PIPELINE],
          });
          if (rows[0].granted) reservations++;
          else refused++;
        }
      }),
    );
    return { reservations, refused, cpu: cpuPer(start, cpuMark(), reservations + refused) };
  } finally {
    await pool.end();
  }
}

/** SQL_CONNECTIONS new orgs named after `prefix`, with limits no run reaches. */
async function benchOrgs(pool: pg.Pool, prefix: string): Promise<string[]> {
  const orgs = Array.from({ length: SQL_CONNECTIONS }, (_, i) => `${prefix}_${i}`);
  for (const org of orgs)
    await pool.query(
      `INSERT INTO organizations (org_slug, company_name, pipelines_per_day_limit, pipelines_per_month_limit,
         concurrent_pipelines_limit) VALUES ($1, $1, $2, $2, $2)`,
      [org, UNLIMITED.pipelines_per_day_limit],
    );
  return orgs;
}

/** Whether PostgreSQL's own load generator is installed (it comes with the client tools). */
export const hasPgbench = (): boolean => spawnSync('pgbench', ['--version']).status === 0;

/**
 * The same calls made by pgbench, PostgreSQL's load generator (C, libpq, prepared statements),
 * over SQL_CONNECTIONS sessions, one org each: the function's own rate, with far less of the two
 * CPUs spent by the client than node-postgres takes. Random 63-bit run ids, so every call is a new
 * run (a repeat would be a replay, answered without a write).
 */
export async function pgbenchLoad(
  url: string,
  schema: string,
  seconds: number,
  prefix: string,
): Promise<{ calls: number; cpu: ReturnType<typeof cpuPer> }> {
  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
  try {
    await benchOrgs(pool, prefix);
  } finally {
    await pool.end();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-pgbench-'));
  const script = path.join(dir, 'reserve.sql');
  fs.writeFileSync(
    script,
    [
      '\\set run random(1, 9000000000000000000)',
      // pgbench numbers its clients from 0, as the orgs are.
      `SELECT granted FROM reserve_pipeline_quota(p_org_slug => '${prefix}_' || :client_id, ` +
        `p_run_id => 'pgbench-' || :run, p_pipeline_id => '${PIPELINE}');`,
      '',
    ].join('\n'),
  );
  try {
    const start = cpuMark();
    const args = ['-n', '-M', 'prepared', '-c', String(SQL_CONNECTIONS), '-j', '2', '-T', String(seconds)];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('pgbench', [...args, '-f', script, url], {
        env: { ...process.env, PGOPTIONS: `-c search_path=${schema}` },
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`pgbench failed: ${text}`)),
      );
    });
    const done = /number of transactions actually processed: (\d+)/.exec(out);
    if (!done) throw new Error(`pgbench printed no count: ${out}`);
    const calls = Number(done[1]);
    // pgbench's CPU is not this process's: only PostgreSQL's figure is meaningful here.
    return { calls, cpu: cpuPer(start, cpuMark(), calls) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type SqlRun = Awaited<ReturnType<typeof sqlLoad>>;

export const sqlFigures = ({ reservations, refused, cpu }: SqlRun, seconds: number) => ({
  connections: SQL_CONNECTIONS,
  seconds,
  reservations,
  refused,
  cpu_ms_per_call: { postgres: cpu.postgres, client: cpu.load_generator },
});

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
