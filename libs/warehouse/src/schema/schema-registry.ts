import fs from 'node:fs';
import path from 'node:path';
import { configsDir, deepFreeze } from '#platform';
import { SchemaValidationError } from './schema-validation-error.js';
import type { TableSchema, ViewSchema } from './table-schema.js';
import { validateTableSchema } from './table-schema-validator.js';
import { expandViewSql, parseViewFile, type ViewContext } from './view-sql.js';

const CENTRAL_DIR = 'central';
const ORG_DIR = 'org';
const VIEWS_DIR = path.join('org', 'views');

/**
 * The warehouse table schemas and per-org views of `configs/warehouse/`, read and validated once.
 * Bootstrap, onboarding, sync and the DuckDB driver all read tables through this one registry.
 * Returned schemas are frozen: they are shared, so a caller that needs a variant copies it.
 */
export class SchemaRegistry {
  private constructor(
    private readonly central: ReadonlyMap<string, TableSchema>,
    private readonly org: ReadonlyMap<string, TableSchema>,
    private readonly views: ReadonlyMap<string, ViewSchema>,
  ) {}

  /**
   * Reads `central/*.json`, `org/*.json` and `org/views/*.sql` under `dir` synchronously (it runs
   * once at start-up) and throws one SchemaValidationError listing every problem found.
   */
  static load(dir: string = path.join(configsDir(), 'warehouse')): SchemaRegistry {
    const problems: string[] = [];
    const central = loadTables(dir, CENTRAL_DIR, problems);
    const org = loadTables(dir, ORG_DIR, problems);
    const views = loadViews(dir, problems);
    if (problems.length > 0) throw new SchemaValidationError(dir, problems);
    return new SchemaRegistry(central, org, views);
  }

  /** Tables of the central `organizations` dataset, by name. */
  centralTables(): TableSchema[] {
    return [...this.central.values()];
  }

  /** Tables created in every org dataset, by name. */
  orgTables(): TableSchema[] {
    return [...this.org.values()];
  }

  /** Views created in every org dataset, by name. */
  orgViews(): ViewSchema[] {
    return [...this.views.values()];
  }

  centralTable(name: string): TableSchema {
    return lookup(this.central, name, 'central table');
  }

  orgTable(name: string): TableSchema {
    return lookup(this.org, name, 'org table');
  }

  orgView(name: string): ViewSchema {
    return lookup(this.views, name, 'org view');
  }

  /** The view body ready for `CREATE VIEW ... AS`, with the placeholders filled in. */
  expandView(view: ViewSchema | string, ctx: ViewContext): string {
    return expandViewSql(typeof view === 'string' ? this.orgView(view) : view, ctx);
  }
}

function lookup<T>(map: ReadonlyMap<string, T>, name: string, what: string): T {
  const found = map.get(name);
  if (found === undefined) {
    throw new Error(`Unknown ${what} "${name}"; known: ${[...map.keys()].join(', ') || '(none)'}`);
  }
  return found;
}

/**
 * Files of `dir` with the given extension, ordered by table/view name (code points, so the order
 * is the same on every machine), or undefined when `dir` does not exist.
 */
function listFiles(dir: string, ext: string): { base: string; file: string }[] | undefined {
  if (!fs.existsSync(dir)) return undefined;
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => ({ base: e.name.slice(0, -ext.length), file: e.name }))
    .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

function loadTables(root: string, sub: string, problems: string[]): Map<string, TableSchema> {
  const tables = new Map<string, TableSchema>();
  const files = listFiles(path.join(root, sub), '.json');
  if (files === undefined) {
    problems.push(`${sub}/: directory not found`);
    return tables;
  }
  for (const { base, file } of files) {
    const rel = path.join(sub, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));
    } catch (err) {
      problems.push(`${rel}: invalid JSON: ${(err as Error).message}`);
      continue;
    }
    const { schema, problems: found } = validateTableSchema(raw, base);
    problems.push(...found.map((p) => `${rel}: ${p}`));
    if (found.length === 0) tables.set(schema.name, deepFreeze(schema));
  }
  return tables;
}

function loadViews(root: string, problems: string[]): Map<string, ViewSchema> {
  const views = new Map<string, ViewSchema>();
  // No views directory simply means no per-org views.
  for (const { base, file } of listFiles(path.join(root, VIEWS_DIR), '.sql') ?? []) {
    const rel = path.join(VIEWS_DIR, file);
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    const { view, problems: found } = parseViewFile(base, text);
    problems.push(...found.map((p) => `${rel}: ${p}`));
    if (found.length === 0) views.set(view.name, deepFreeze(view));
  }
  return views;
}
