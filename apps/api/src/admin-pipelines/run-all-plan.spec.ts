import { planRuns } from './run-all-plan.js';

const cred = (org_slug: string, provider: string) => ({ org_slug, provider });

describe('run-all plan', () => {
  const creds = [
    cred('acme', 'AWS_IAM'),
    cred('acme', 'AWS_KEYS'),
    cred('acme', 'ANTHROPIC'),
    cred('acme', 'AWS_BEDROCK'),
    cred('beta', 'OCI'),
    cred('gone', 'GCP_SA'),
  ];

  it('starts one run per pipeline, whatever number of credentials feed it', () => {
    const [acme, beta] = planRuns(['acme', 'beta'], creds, {});
    expect(acme).toEqual({
      org: 'acme',
      pipelines: [
        { provider: 'AWS_IAM,AWS_KEYS', path: 'cloud/aws/cost/billing' },
        { provider: 'ANTHROPIC', path: 'genai/payg/anthropic' },
      ],
      disabled: [],
      unmapped: ['AWS_BEDROCK'],
      integrations: 4,
    });
    expect(beta!.pipelines).toEqual([{ provider: 'OCI', path: 'cloud/oci/cost/billing' }]);
  });

  it('ignores credentials of orgs not being run', () => {
    expect(planRuns(['beta'], creds, {}).map((p) => p.org)).toEqual(['beta']);
  });

  it('filters by category and by provider', () => {
    const [genaiOnly] = planRuns(['acme'], creds, { categories: ['genai'] });
    expect(genaiOnly!.pipelines.map((p) => p.path)).toEqual(['genai/payg/anthropic']);
    expect(genaiOnly!.unmapped).toEqual([]);
    expect(genaiOnly!.integrations).toBe(1);
    const [claude] = planRuns(['acme'], creds, { providers: ['claude'] });
    expect(claude!.pipelines.map((p) => p.path)).toEqual(['genai/payg/anthropic']);
  });

  it('sets apart the pipelines the registry disables, with their registry id', () => {
    const disabledAt = (path: string) =>
      path === 'cloud/aws/cost/billing' ? 'cloud_aws_cost_billing' : undefined;
    const [acme] = planRuns(['acme'], creds, {}, disabledAt);
    expect(acme!.pipelines).toEqual([{ provider: 'ANTHROPIC', path: 'genai/payg/anthropic' }]);
    expect(acme!.disabled).toEqual([
      { provider: 'AWS_IAM,AWS_KEYS', path: 'cloud/aws/cost/billing', pipelineId: 'cloud_aws_cost_billing' },
    ]);
    expect(acme!.integrations).toBe(4);
  });
});
