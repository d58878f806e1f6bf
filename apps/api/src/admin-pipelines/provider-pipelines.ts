import { canonicalProvider } from '../common/usable-credential.js';

export type PipelineCategory = 'cloud' | 'genai';

export interface ProviderPipeline {
  category: PipelineCategory;
  /** The provider as the pipeline path names it (gcp, aws, anthropic, ...). */
  pipelineProvider: string;
  /** The path after the org that the pipeline service runs. */
  path: string;
}

const cloud = (p: string): ProviderPipeline => ({
  category: 'cloud',
  pipelineProvider: p,
  path: `cloud/${p}/cost/billing`,
});
const genai = (p: string): ProviderPipeline => ({
  category: 'genai',
  pipelineProvider: p,
  path: `genai/payg/${p}`,
});

/**
 * The daily cost pipeline of each provider, by the name its credential serves (canonicalProvider:
 * both AWS credential kinds feed the AWS billing pipeline, CLAUDE is the older name of ANTHROPIC).
 */
const PIPELINE_BY_PROVIDER: Record<string, ProviderPipeline> = {
  GCP_SA: cloud('gcp'),
  AWS_IAM: cloud('aws'),
  AZURE: cloud('azure'),
  OCI: cloud('oci'),
  OPENAI: genai('openai'),
  ANTHROPIC: genai('anthropic'),
  GEMINI: genai('gemini'),
  DEEPSEEK: genai('deepseek'),
  AZURE_OPENAI: genai('azure_openai'),
};

export function pipelineForProvider(storedProvider: string): ProviderPipeline | null {
  return PIPELINE_BY_PROVIDER[canonicalProvider(storedProvider)] ?? null;
}

/**
 * A providers filter as pipeline-provider names: a stored name (AWS_IAM, CLAUDE) stands for its
 * pipeline's provider (aws, anthropic), anything else is taken as that name (gcp, openai).
 */
export function normaliseProviderFilter(filter: string[]): Set<string> {
  return new Set(filter.map((f) => pipelineForProvider(f)?.pipelineProvider ?? f.toLowerCase()));
}
