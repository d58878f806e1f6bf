import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import type { FakePipelineService } from '#test/fake-pipeline-service';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { startAppWithPipelineService } from '#test/pipeline-service-app';
import { rootHeaders, type TestApp } from '#test/test-app';
import type { Warehouse } from '#warehouse';

/** configs/ with these registry entries set `enabled: false`. */
function configsWithDisabled(ids: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-configs-'));
  fs.cpSync(path.resolve('configs'), dir, { recursive: true });
  const file = path.join(dir, 'pipelines.yml');
  let yml = fs.readFileSync(file, 'utf8');
  for (const id of ids) {
    const next = yml.replace(
      new RegExp(`(- id: ${id}\\n[\\s\\S]*?enabled: )true`),
      (_m, head: string) => `${head}false`,
    );
    expect(next).not.toBe(yml);
    yml = next;
  }
  fs.writeFileSync(file, yml);
  return dir;
}

describe('admin run-all and a pipeline disabled in the registry', () => {
  let fake: FakePipelineService;
  let t: TestApp;
  let warehouse: Warehouse;
  let close: () => Promise<void>;
  let configs: string;
  const original = process.env.CONFIGS_DIR;

  beforeAll(async () => {
    configs = configsWithDisabled(['cloud_aws_cost_billing']);
    process.env.CONFIGS_DIR = configs;
    ({ fake, t, warehouse, close } = await startAppWithPipelineService({ retryDelaysMs: [20] }));
  });
  afterAll(async () => {
    await close();
    if (original === undefined) delete process.env.CONFIGS_DIR;
    else process.env.CONFIGS_DIR = original;
    fs.rmSync(configs, { recursive: true, force: true });
  });
  beforeEach(() => void fake.reset());

  /** An org whose active key has a stored (encrypted) copy, as onboarding leaves it. */
  async function anOrg(): Promise<string> {
    const { org } = await anOrgWithKey(warehouse, { isActive: false });
    await t.app.get(ApiKeyService).issue(org);
    return org;
  }

  const runAll = (payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/admin/pipelines/run-all', headers: rootHeaders, payload });

  it('does not start it: the org is told it is skipped as disabled, and the batch is not PARTIAL', async () => {
    const org = await anOrg();
    await integrationCredentials(warehouse, org, ['AWS_IAM', 'OPENAI']);
    const res = await runAll({ org_slug: org, date: '2026-03-09' });
    expect(res.statusCode).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual([`/api/v1/pipelines/run/${org}/genai/payg/openai`]);
    const body = res.json();
    expect(body).toMatchObject({
      status: 'COMPLETED',
      orgs_processed: 1,
      pipelines_triggered: 1,
      pipelines_failed: 0,
      total_integrations: 2,
    });
    expect(body.results).toContainEqual({
      org_slug: org,
      provider: 'AWS_IAM',
      pipeline_path: 'cloud/aws/cost/billing',
      date: '2026-03-09',
      status: 'skipped',
      detail: "Pipeline 'cloud_aws_cost_billing' is disabled",
    });
  });

  it('plans it as skipped on a dry run, and an org with only disabled pipelines is skipped', async () => {
    const org = await anOrg();
    await integrationCredentials(warehouse, org, ['AWS_IAM', 'AWS_KEYS']);
    const res = await runAll({ org_slug: org, dry_run: true });
    expect(res.json()).toMatchObject({
      orgs_processed: 0,
      orgs_skipped: 1,
      message: 'Dry run: 0 pipelines would be triggered for 0 orgs',
    });
    expect(res.json().results).toEqual([
      expect.objectContaining({ provider: 'AWS_IAM,AWS_KEYS', status: 'skipped' }),
    ]);
  });
});
