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
 * The daily cost pipeline of each provider name as integrations store it (org_integration_credentials
 * .provider). Both AWS credential kinds feed the same AWS billing pipeline, and CLAUDE is the older
 * name of ANTHROPIC.
 */
const PIPELINE_BY_STORED_PROVIDER: Record<string, ProviderPipeline> = {
  GCP_SA: cloud('gcp'),
  AWS_IAM: cloud('aws'),
  AWS_KEYS: cloud('aws'),
  AZURE: cloud('azure'),
  OCI: cloud('oci'),
  OPENAI: genai('openai'),
  ANTHROPIC: genai('anthropic'),
  CLAUDE: genai('anthropic'),
  GEMINI: genai('gemini'),
  DEEPSEEK: genai('deepseek'),
  AZURE_OPENAI: genai('azure_openai'),
};

export function pipelineForProvider(storedProvider: string): ProviderPipeline | null {
  return PIPELINE_BY_STORED_PROVIDER[storedProvider.toUpperCase()] ?? null;
}

/**
 * A providers filter as pipeline-provider names: a stored name (AWS_IAM, CLAUDE) stands for its
 * pipeline's provider (aws, anthropic), anything else is taken as that name (gcp, openai).
 */
export function normaliseProviderFilter(filter: string[]): Set<string> {
  return new Set(filter.map((f) => pipelineForProvider(f)?.pipelineProvider ?? f.toLowerCase()));
}
