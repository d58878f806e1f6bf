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
  /** Stored providers that have no daily cost pipeline. */
  unmapped: string[];
  /** Credentials that passed the filters. */
  integrations: number;
}

export interface PlanFilters {
  categories?: PipelineCategory[];
  providers?: string[];
}

/** What run-all starts for each org, from the org's valid credentials and the request's filters. */
export function planRuns(orgs: string[], credentials: CredentialRow[], filters: PlanFilters): OrgPlan[] {
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
  return [...byOrg].map(([org, p]) => ({
    org,
    pipelines: [...p.paths].map(([path, names]) => ({
      provider: [...new Set(names)].sort().join(','),
      path,
    })),
    unmapped: p.unmapped,
    integrations: p.n,
  }));
}
