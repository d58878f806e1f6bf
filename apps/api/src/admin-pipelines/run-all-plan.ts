import type { CredentialRow } from './run-all.repository.js';
import { normaliseProviderFilter, type PipelineCategory, pipelineForProvider } from './provider-pipelines.js';

export interface PlannedPipeline {
  /** Stored provider name(s) feeding this pipeline, e.g. "AWS_IAM,AWS_KEYS". */
  provider: string;
  path: string;
}

export interface OrgPlan {
  org: string;
  /** One entry per pipeline path: two credentials of one provider start one run. */
  pipelines: PlannedPipeline[];
  /** Pipelines the org's credentials feed that the registry disables: not started. */
  disabled: (PlannedPipeline & { pipelineId: string })[];
  /** Stored providers that have no daily cost pipeline. */
  unmapped: string[];
  /** Credentials that passed the filters. */
  integrations: number;
}

export interface PlanFilters {
  categories?: PipelineCategory[];
  providers?: string[];
}

/**
 * The registry id of the pipeline at `path` when the registry disables it, else undefined (enabled,
 * or unknown to the registry: the pipeline service decides).
 */
export type DisabledPipeline = (path: string) => string | undefined;

/** What run-all starts for each org, from the org's valid credentials and the request's filters. */
export function planRuns(
  orgs: string[],
  credentials: CredentialRow[],
  filters: PlanFilters,
  disabledAt: DisabledPipeline = () => undefined,
): OrgPlan[] {
  const categories = filters.categories?.length ? new Set(filters.categories) : null;
  const providers = filters.providers?.length ? normaliseProviderFilter(filters.providers) : null;
  const byOrg = new Map(
    orgs.map((org) => [org, { paths: new Map<string, string[]>(), unmapped: [] as string[], n: 0 }]),
  );
  for (const cred of credentials) {
    const plan = byOrg.get(cred.org_slug);
    if (!plan) continue;
    const pipeline = pipelineForProvider(cred.provider);
    if (pipeline) {
      if (categories && !categories.has(pipeline.category)) continue;
      if (providers && !providers.has(pipeline.pipelineProvider)) continue;
      plan.paths.set(pipeline.path, [...(plan.paths.get(pipeline.path) ?? []), cred.provider]);
    } else {
      if (categories || (providers && !providers.has(cred.provider.toLowerCase()))) continue;
      plan.unmapped.push(cred.provider);
    }
    plan.n++;
  }
  return [...byOrg].map(([org, p]) => {
    const planned = [...p.paths].map(([path, names]) => ({
      provider: [...new Set(names)].sort().join(','),
      path,
      pipelineId: disabledAt(path),
    }));
    return {
      org,
      pipelines: planned
        .filter((e) => e.pipelineId === undefined)
        .map(({ provider, path }) => ({ provider, path })),
      disabled: planned.flatMap(({ provider, path, pipelineId }) =>
        pipelineId === undefined ? [] : [{ provider, path, pipelineId }],
      ),
      unmapped: p.unmapped,
      integrations: p.n,
    };
  });
}
