import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configsDir } from '#platform';

/** One entry of configs/pipelines.yml, as written there. */
export interface PipelineEntry {
  id: string;
  name: string;
  description: string;
  category: string;
  provider: string;
  domain: string;
  pipeline: string;
  /** Provider whose active, VALID credential a run needs; "" for none. */
  required_integration: string;
  schedule: string;
  enabled: boolean;
  default_timeout_seconds: number;
}

const STRING_FIELDS = [
  'id',
  'name',
  'description',
  'category',
  'provider',
  'domain',
  'pipeline',
  'required_integration',
  'schedule',
] as const;

/** Categories whose run URL has three segments ({category}/{domain}/{pipeline}). */
const CATEGORY_AS_PROVIDER = new Set(['genai', 'saas', 'subscription']);
const DEFAULT_TIMEOUT_SECONDS = 600;

function parseEntry(file: string, index: number, raw: unknown): PipelineEntry {
  const fail = (what: string) => new Error(`${file}: pipelines[${index}] ${what}`);
  if (typeof raw !== 'object' || raw === null) throw fail('is not a mapping');
  const e = raw as Record<string, unknown>;
  const entry: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) {
    const value = e[field] ?? '';
    if (typeof value !== 'string') throw fail(`needs ${field} as a string`);
    entry[field] = value;
  }
  for (const field of ['id', 'name', 'category', 'domain', 'pipeline'] as const)
    if (entry[field] === '') throw fail(`needs a non-empty ${field}`);
  if (typeof e.enabled !== 'boolean') throw fail('needs enabled as true or false');
  const timeout = e.default_timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0)
    throw fail('needs default_timeout_seconds as a positive integer');
  return {
    ...(entry as Omit<PipelineEntry, 'enabled' | 'default_timeout_seconds'>),
    enabled: e.enabled,
    default_timeout_seconds: timeout,
  };
}

/**
 * The pipelines the pipeline service can run, read once from configs/pipelines.yml. A missing or
 * malformed file stops the start with a message naming the entry and field.
 */
export class PipelineRegistry {
  private readonly byId = new Map<string, PipelineEntry>();

  constructor(readonly entries: readonly PipelineEntry[]) {
    for (const e of entries) {
      if (this.byId.has(e.id.toLowerCase())) throw new Error(`Duplicate pipeline id ${e.id}`);
      this.byId.set(e.id.toLowerCase(), e);
    }
  }

  static load(dir: string = configsDir()): PipelineRegistry {
    const file = path.join(dir, 'pipelines.yml');
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    const list = (doc as { pipelines?: unknown } | null)?.pipelines;
    if (!Array.isArray(list)) throw new Error(`${file}: expected a top-level "pipelines" list`);
    return new PipelineRegistry(list.map((raw, i) => Object.freeze(parseEntry(file, i, raw))));
  }

  /** Exact id only (case-sensitive), as GET /validator/pipelines/{id} looks it up. */
  get(id: string): PipelineEntry | undefined {
    const e = this.byId.get(id.toLowerCase());
    return e?.id === id ? e : undefined;
  }

  /**
   * The validator's lookup: the id (any case), else the id read as a run path split on "_":
   * `cloud_{provider}_{domain}_{pipeline...}`; `genai|saas|subscription_{domain}_{pipeline...}`
   * (entries whose provider is "" or the category); any other category `{category}_{domain}_{pipeline}`
   * or `{category}_{provider}_{domain}_{pipeline...}`.
   */
  resolve(id: string): PipelineEntry | undefined {
    const exact = this.byId.get(id.toLowerCase());
    if (exact) return exact;
    const parts = id.toLowerCase().split('_');
    if (parts.length < 3) return undefined;
    const [category, ...rest] = parts;
    const find = (match: (e: PipelineEntry) => boolean) =>
      this.entries.find((e) => e.category.toLowerCase() === category && match(e));
    const same = (a: string, b: string) => a.toLowerCase() === b;
    if (category === 'cloud') {
      if (parts.length < 4) return undefined;
      const [provider, domain, ...pipeline] = rest;
      return find(
        (e) => same(e.provider, provider) && same(e.domain, domain) && same(e.pipeline, pipeline.join('_')),
      );
    }
    if (CATEGORY_AS_PROVIDER.has(category)) {
      const [domain, ...pipeline] = rest;
      return find(
        (e) =>
          (e.provider === '' || same(e.provider, category)) &&
          same(e.domain, domain) &&
          same(e.pipeline, pipeline.join('_')),
      );
    }
    if (parts.length === 3) {
      const [domain, pipeline] = rest;
      return find((e) => same(e.domain, domain) && same(e.pipeline, pipeline));
    }
    const [provider, domain, ...pipeline] = rest;
    return find(
      (e) => same(e.provider, provider) && same(e.domain, domain) && same(e.pipeline, pipeline.join('_')),
    );
  }
}

/** An entry as the list and detail routes show it: provider "" when it only repeats the category. */
export function listedPipeline(e: PipelineEntry) {
  return {
    id: e.id,
    name: e.name,
    description: e.description,
    category: e.category,
    provider: e.provider === e.category ? '' : e.provider,
    domain: e.domain,
    pipeline: e.pipeline,
    required_integration: e.required_integration,
    schedule: e.schedule,
    enabled: e.enabled,
  };
}
