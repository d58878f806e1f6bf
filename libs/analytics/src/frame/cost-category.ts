/**
 * The four cost categories. Every FOCUS row belongs to exactly one, decided by `costCategoryOf`
 * alone, so the category parts of a period always add up to its total (the reference's cloud and
 * GenAI predicates overlapped and /total could count a row twice).
 */
export type CostCategory = 'cloud' | 'genai' | 'subscription' | 'other';

export const COST_CATEGORIES: readonly CostCategory[] = ['cloud', 'genai', 'subscription', 'other'];

export interface CategoryInputs {
  provider: string | null;
  serviceCategory: string | null;
  sourceSystem: string | null;
}

const SOURCE_SYSTEMS: ReadonlyMap<string, CostCategory> = new Map([
  ['subscription_costs_daily', 'subscription'],
  ['subscription_costs', 'subscription'],
  ['subscription_plan_costs_daily', 'subscription'],
  ['genai_costs', 'genai'],
  ['genai_costs_daily', 'genai'],
  ['genai_costs_daily_unified', 'genai'],
  ['genai_payg_costs_daily', 'genai'],
  ['genai_commitment_costs_daily', 'genai'],
  ['genai_infrastructure_costs_daily', 'genai'],
  ['cloud_gcp_billing', 'cloud'],
  ['cloud_aws_billing', 'cloud'],
  ['cloud_azure_billing', 'cloud'],
  ['cloud_oci_billing', 'cloud'],
  ['cloud_gcp_billing_raw_daily', 'cloud'],
  ['cloud_aws_billing_raw_daily', 'cloud'],
  ['cloud_azure_billing_raw_daily', 'cloud'],
  ['cloud_oci_billing_raw_daily', 'cloud'],
]);

export const GENAI_PROVIDERS: ReadonlySet<string> = new Set([
  'openai',
  'anthropic',
  'google ai',
  'cohere',
  'mistral',
  'gemini',
  'claude',
  'deepseek',
  'azure openai',
  'aws bedrock',
  'vertex ai',
  'groq',
  'perplexity',
  'huggingface',
]);

export const CLOUD_PROVIDERS: ReadonlySet<string> = new Set([
  'gcp',
  'aws',
  'azure',
  'google',
  'amazon',
  'microsoft',
  'oci',
  'oracle',
  'google cloud',
  'amazon web services',
  'microsoft azure',
]);

const GENAI_SERVICE_CATEGORIES: ReadonlySet<string> = new Set([
  'genai',
  'llm',
  'ai/ml',
  'ai and machine learning',
  'ai',
]);
// `databases` is FOCUS's own spelling of the reference's `database` (a FOCUS import carries it).
const CLOUD_SERVICE_CATEGORIES: ReadonlySet<string> = new Set([
  'cloud',
  'compute',
  'storage',
  'networking',
  'database',
  'databases',
]);
const SUBSCRIPTION_SERVICE_CATEGORIES: ReadonlySet<string> = new Set(['subscription', 'saas', 'software']);
const GENAI_SOURCE_PARTS: ReadonlySet<string> = new Set(['genai', 'llm']);
const CLOUD_SOURCE_PARTS: ReadonlySet<string> = new Set(['cloud', 'gcp', 'aws', 'azure', 'oci']);

const norm = (value: string | null): string => (value ?? '').trim().toLowerCase();

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a (lower-cased) provider or source name contains one of `names` as whole words, any
 * character but a letter or digit (a space, `_`, `-`) separating words: "Oracle Cloud
 * Infrastructure", "Amazon Web Services, Inc." or `my_aws_export` are recognised, as the
 * reference's substring match did, but "oci" is not found in "associates" nor `social_ads`.
 */
function wholeWordsOf(names: ReadonlySet<string>): (text: string) => boolean {
  const re = new RegExp(`(?:^|[^a-z0-9])(?:${[...names].map(escapeRegExp).join('|')})(?:$|[^a-z0-9])`);
  return (text) => text !== '' && re.test(text);
}
const isGenAiProvider = wholeWordsOf(GENAI_PROVIDERS);
const isCloudProvider = wholeWordsOf(CLOUD_PROVIDERS);
const isGenAiSource = wholeWordsOf(GENAI_SOURCE_PARTS);
const isCloudSource = wholeWordsOf(CLOUD_SOURCE_PARTS);

/**
 * The category of a FOCUS row, first rule that applies:
 * 1. the pipeline that wrote it (`x_source_system`, exact): subscription, GenAI or cloud loaders;
 * 2. GenAI: a GenAI provider, a GenAI/LLM service category, or a source naming genai/llm;
 * 3. cloud: a cloud provider, a source naming a cloud, or a compute/storage/… service category;
 * 4. subscription: a subscription/SaaS/software service category;
 * 5. other.
 * GenAI is tested before cloud so that Google's or Azure's model APIs count as GenAI, and
 * providers and source parts match as whole words (lower-cased), never inside a word ("oci" is
 * not in "associates" nor `social_ads`, "llm" not in `enrollment_fees`).
 */
export function costCategoryOf(row: CategoryInputs): CostCategory {
  const source = norm(row.sourceSystem);
  const bySource = SOURCE_SYSTEMS.get(source);
  if (bySource) return bySource;
  const provider = norm(row.provider);
  const serviceCategory = norm(row.serviceCategory);
  if (isGenAiProvider(provider) || GENAI_SERVICE_CATEGORIES.has(serviceCategory) || isGenAiSource(source))
    return 'genai';
  if (isCloudProvider(provider) || isCloudSource(source) || CLOUD_SERVICE_CATEGORIES.has(serviceCategory))
    return 'cloud';
  if (SUBSCRIPTION_SERVICE_CATEGORIES.has(serviceCategory)) return 'subscription';
  return 'other';
}
