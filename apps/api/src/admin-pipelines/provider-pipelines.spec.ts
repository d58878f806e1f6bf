import { normaliseProviderFilter, pipelineForProvider } from './provider-pipelines.js';

describe('provider → pipeline mapping for run-all', () => {
  it.each([
    ['GCP_SA', 'cloud/gcp/cost/billing'],
    ['AWS_IAM', 'cloud/aws/cost/billing'],
    ['AWS_KEYS', 'cloud/aws/cost/billing'],
    ['AZURE', 'cloud/azure/cost/billing'],
    ['OCI', 'cloud/oci/cost/billing'],
    ['OPENAI', 'genai/payg/openai'],
    ['ANTHROPIC', 'genai/payg/anthropic'],
    ['CLAUDE', 'genai/payg/anthropic'],
    ['GEMINI', 'genai/payg/gemini'],
    ['DEEPSEEK', 'genai/payg/deepseek'],
  ])('maps the stored provider %s to %s', (stored, path) => {
    expect(pipelineForProvider(stored)?.path).toBe(path);
  });

  it('has no pipeline for providers without a daily cost pipeline', () => {
    expect(pipelineForProvider('AWS_BEDROCK')).toBeNull();
  });

  it('reads a providers filter in stored names or pipeline names alike', () => {
    expect([...normaliseProviderFilter(['AWS_IAM', 'claude', 'gcp', 'OpenAI'])]).toEqual([
      'aws',
      'anthropic',
      'gcp',
      'openai',
    ]);
  });
});
