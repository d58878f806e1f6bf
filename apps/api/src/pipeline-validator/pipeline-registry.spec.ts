import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STALE_RUN_AGE_MS } from '../quota/quota-maintenance.service.js';
import { PipelineRegistry } from './pipeline-registry.js';

describe('pipeline registry (configs/pipelines.yml)', () => {
  const registry = PipelineRegistry.load();

  it('gives no pipeline a longer hold than the stale cleanup waits for before failing its run', () => {
    // A run is held for twice its pipeline's timeout at least; the cleanup fails unnamed runs after an hour at least.
    const longest = Math.max(...registry.entries.map((e) => 2 * e.default_timeout_seconds * 1000));
    expect(longest).toBeLessThan(STALE_RUN_AGE_MS);
  });

  it('holds the 23 enabled pipelines of the system this one replaces, with their required integrations', () => {
    expect(registry.entries.length).toBe(23);
    expect(registry.entries.every((e) => e.enabled)).toBe(true);
    const required = Object.fromEntries(registry.entries.map((e) => [e.id, e.required_integration]));
    expect(required).toEqual({
      cloud_gcp_cost_billing: 'GCP_SA',
      cloud_gcp_api_billing_accounts: 'GCP_SA',
      cloud_gcp_api_compute_instances: 'GCP_SA',
      cloud_aws_cost_billing: 'AWS_IAM',
      cloud_azure_cost_billing: 'AZURE',
      cloud_oci_cost_billing: 'OCI',
      cloud_gcp_cost_focus_convert: '',
      cloud_aws_cost_focus_convert: '',
      cloud_azure_cost_focus_convert: '',
      cloud_oci_cost_focus_convert: '',
      cloud_unified_focus_convert: '',
      subscription_costs: '',
      genai_payg_openai: 'OPENAI',
      genai_payg_anthropic: 'ANTHROPIC',
      genai_payg_gemini: 'GEMINI',
      genai_payg_deepseek: 'DEEPSEEK',
      genai_payg_azure_openai: 'AZURE_OPENAI',
      genai_payg_cost_only: '',
      genai_commitment_aws_bedrock: 'AWS_BEDROCK',
      genai_commitment_azure_ptu: 'AZURE_OPENAI',
      genai_commitment_gcp_vertex: 'GCP_VERTEX',
      genai_infrastructure_gcp_gpu: 'GCP_SA',
      genai_unified_consolidate: '',
    });
    expect(registry.get('genai_payg_cost_only')).toMatchObject({
      schedule: '',
      default_timeout_seconds: 600,
    });
    expect(registry.get('cloud_unified_focus_convert')?.default_timeout_seconds).toBe(1200);
  });

  it.each([
    ['cloud_gcp_cost_billing', 'cloud_gcp_cost_billing'],
    ['CLOUD_GCP_COST_BILLING', 'cloud_gcp_cost_billing'],
    ['subscription_costs_subscription_cost', 'subscription_costs'],
    ['genai_payg_openai', 'genai_payg_openai'],
    ['genai_commitment_aws_bedrock', 'genai_commitment_aws_bedrock'],
    ['cloud_gcp_api_billing_accounts', 'cloud_gcp_api_billing_accounts'],
    ['cloud_cloud_unified_focus_convert', 'cloud_unified_focus_convert'],
  ])('resolves %s to %s', (id, expected) => {
    expect(registry.resolve(id)?.id).toBe(expected);
  });

  it.each(['gcp_billing', 'cloud_gcp', 'genai_payg', 'cloud_gcp_cost', 'saas_costs_saas_cost', 'nope'])(
    'resolves %s to nothing',
    (id) => {
      expect(registry.resolve(id)).toBeUndefined();
    },
  );

  it('finds by exact id only on get', () => {
    expect(registry.get('subscription_costs')?.id).toBe('subscription_costs');
    expect(registry.get('SUBSCRIPTION_COSTS')).toBeUndefined();
    expect(registry.get('subscription_costs_subscription_cost')).toBeUndefined();
  });

  it('refuses a file that would start the API with a broken registry, naming the entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-'));
    try {
      const write = (yml: string) => fs.writeFileSync(path.join(dir, 'pipelines.yml'), yml);
      write('pipelines:\n  - id: a\n    name: A\n    category: cloud\n    domain: cost\n    pipeline: x\n');
      expect(() => PipelineRegistry.load(dir)).toThrow(/pipelines\[0\] needs enabled as true or false/);
      write(
        'pipelines:\n  - id: a\n    name: A\n    category: cloud\n    domain: cost\n    pipeline: x\n    enabled: true\n' +
          '  - id: A\n    name: B\n    category: cloud\n    domain: cost\n    pipeline: y\n    enabled: true\n',
      );
      expect(() => PipelineRegistry.load(dir)).toThrow(/Duplicate pipeline id A/);
      write('other: []\n');
      expect(() => PipelineRegistry.load(dir)).toThrow(/top-level "pipelines" list/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
