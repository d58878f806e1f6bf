import type { ViewSchema } from './table-schema.js';
import { SCHEMA_NAME } from './table-schema-validator.js';

/** Values substituted into a per-org view body. */
export interface ViewContext {
  /** The org's dataset, e.g. `acme_prod`. */
  dataset: string;
  /** The central dataset, e.g. `organizations` (or `project.organizations` on BigQuery). */
  central: string;
  orgSlug: string;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const KNOWN_PLACEHOLDERS: ReadonlySet<string> = new Set(['dataset', 'central', 'org_slug']);
// A dataset optionally qualified by a project id; both end up inside backticks, so neither may
// contain a backtick, quote or whitespace.
const DATASET_REF = /^(?:[a-z][a-z0-9-]{0,61}[a-z0-9]\.)?[A-Za-z0-9_]{1,1024}$/;
// The slug is spliced into a string literal ('{org_slug}'): this is the injection guard, not the
// org slug format rule (the platform owns that).
const SAFE_SLUG = /^[A-Za-z0-9_-]{1,100}$/;

export interface ViewValidation {
  view: ViewSchema;
  problems: string[];
}

/**
 * A view file is an optional block of leading `--` comment lines (kept as the description) and
 * a SELECT body. The body is kept as written; problems are reported, not repaired.
 */
export function parseViewFile(name: string, text: string): ViewValidation {
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  const comment: string[] = [];
  while (lines.length > 0 && (lines[0].trim().startsWith('--') || lines[0].trim() === '')) {
    const line = (lines.shift() ?? '').trim();
    if (line.startsWith('--')) comment.push(line.replace(/^--\s?/, ''));
  }
  const sql = lines.join('\n').trim();
  if (!SCHEMA_NAME.test(name)) problems.push(`invalid view name ${JSON.stringify(name)}`);
  if (sql === '') problems.push('empty view body');
  if (sql.endsWith(';')) problems.push('view body must not end with ";" (it is embedded in CREATE VIEW)');
  const used = placeholdersOf(sql);
  for (const p of used) {
    if (!KNOWN_PLACEHOLDERS.has(p)) problems.push(`unknown placeholder "{${p}}"`);
  }
  if (used.has('central') && !sql.includes("'{org_slug}'")) {
    problems.push(`reads {central} tables without filtering on '{org_slug}'`);
  }
  const view: ViewSchema = { name, sql };
  if (comment.length > 0) view.description = comment.join(' ');
  return { view, problems };
}

function placeholdersOf(sql: string): Set<string> {
  return new Set([...sql.matchAll(PLACEHOLDER)].map((m) => m[1]));
}

/** The view body with `{dataset}`, `{central}` and `{org_slug}` replaced, after checking each value. */
export function expandViewSql(view: ViewSchema, ctx: ViewContext): string {
  if (!DATASET_REF.test(ctx.dataset))
    throw new Error(`Invalid dataset for view ${view.name}: ${ctx.dataset}`);
  if (!DATASET_REF.test(ctx.central))
    throw new Error(`Invalid central dataset for view ${view.name}: ${ctx.central}`);
  if (!SAFE_SLUG.test(ctx.orgSlug)) throw new Error(`Invalid org slug for view ${view.name}: ${ctx.orgSlug}`);
  const values: Record<string, string> = {
    dataset: ctx.dataset,
    central: ctx.central,
    org_slug: ctx.orgSlug,
  };
  // One pass, so a substituted value is never expanded again.
  return view.sql.replace(PLACEHOLDER, (match: string, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`Unknown placeholder ${match} in view ${view.name}`);
    return value;
  });
}
