import { central } from '#warehouse';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { started } from '#test/fake-pipeline-service';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { rootHeaders } from '#test/test-app';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';

const EVERY_PIPELINE = [
  'cloud/aws/cost/billing',
  'cloud/azure/cost/billing',
  'cloud/gcp/cost/billing',
  'cloud/oci/cost/billing',
  'genai/payg/anthropic',
  'genai/payg/deepseek',
  'genai/payg/gemini',
  'genai/payg/openai',
];

describe('admin run-all against a real local pipeline service', () => {
  const s = pipelineServiceAppForAll({
    retryDelaysMs: [20],
    breaker: { volumeThreshold: 10_000 },
  });

  /** An org whose active key has a stored (encrypted) copy, as onboarding leaves it. */
  async function anOrg(status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false, status });
    const issued = await s.t.app.get(ApiKeyService).issue(org);
    return { org, key: issued.apiKey };
  }

  const credentials = (org: string, providers: string[], extra: Record<string, unknown> = {}) =>
    integrationCredentials(s.warehouse, org, providers, extra);

  const runAll = (payload: object, headers: Record<string, string> = rootHeaders) =>
    s.t.app.inject({ method: 'POST', url: '/api/v1/admin/pipelines/run-all', headers, payload });
  const pathsFor = (org: string) =>
    s.fake.requests
      .filter((r) => r.path.startsWith(`/api/v1/pipelines/run/${org}/`))
      .map((r) => r.path.replace(`/api/v1/pipelines/run/${org}/`, ''))
      .sort();
  const batchRow = async (id: string) =>
    (
      await s.warehouse.query(
        `SELECT * FROM ${central('org_meta_pipeline_batch_runs')} WHERE batch_run_id = @id`,
        {
          id,
        },
      )
    )[0];

  it('triggers every configured provider once, with the org key, the date and an idempotency key', async () => {
    const o = await anOrg();
    await credentials(o.org, [
      'GCP_SA',
      'AWS_IAM',
      'AWS_KEYS',
      'AZURE',
      'OCI',
      'OPENAI',
      'ANTHROPIC',
      'CLAUDE',
    ]);
    await credentials(o.org, ['GEMINI', 'DEEPSEEK', 'AWS_BEDROCK']);
    await credentials(o.org, ['AZURE_OPENAI'], { validation_status: 'INVALID' });
    await credentials(o.org, ['AZURE_OPENAI'], { is_active: false });
    await credentials(o.org, ['AZURE_OPENAI'], { expires_at: new Date(Date.now() - 1000) });
    const res = await runAll({ org_slug: o.org, date: '2026-03-09' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(pathsFor(o.org)).toEqual(EVERY_PIPELINE);
    for (const r of s.fake.requests) {
      expect(r.headers['x-api-key']).toBe(o.key);
      expect(r.json).toEqual({ date: '2026-03-09' });
      expect(r.headers['idempotency-key']).toBe(
        `run-all:${body.batch_run_id}:${o.org}:${r.path.replace(`/api/v1/pipelines/run/${o.org}/`, '')}`,
      );
    }
    expect(body).toMatchObject({
      success: true,
      status: 'COMPLETED',
      orgs_processed: 1,
      orgs_skipped: 0,
      pipelines_triggered: 8,
      pipelines_failed: 0,
      pipelines_skipped_quota: 0,
      total_integrations: 11,
      errors: [],
      batch_recorded: true,
    });
    expect(body.results).toContainEqual({
      org_slug: o.org,
      provider: 'AWS_IAM,AWS_KEYS',
      pipeline_path: 'cloud/aws/cost/billing',
      date: '2026-03-09',
      status: 'triggered',
      http_status: 200,
    });
    expect(body.results).toContainEqual(
      expect.objectContaining({ provider: 'AWS_BEDROCK', pipeline_path: null, status: 'skipped' }),
    );
    const row = await batchRow(body.batch_run_id);
    expect(row).toMatchObject({
      org_slug: o.org,
      trigger_type: 'MANUAL',
      status: 'COMPLETED',
      run_date: '2026-03-09',
      dry_run: false,
      orgs_processed: 1,
      pipelines_triggered: 8,
      total_integrations: 11,
    });
    expect(row!.results).toEqual(body.results);
    const history = await s.t.app.inject({
      method: 'GET',
      url: `/api/v1/pipelines/${o.org}/batch-runs`,
      headers: { 'x-api-key': o.key },
    });
    expect(history.json().runs[0]).toMatchObject({ batch_run_id: body.batch_run_id, pipelines_triggered: 8 });
  });

  it('calls nothing on a dry run and records the plan', async () => {
    const o = await anOrg();
    await credentials(o.org, ['OCI', 'ANTHROPIC']);
    const res = await runAll({ org_slug: o.org, dry_run: true });
    expect(s.fake.requests).toHaveLength(0);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(res.json().results).toEqual([
      {
        org_slug: o.org,
        provider: 'ANTHROPIC',
        pipeline_path: 'genai/payg/anthropic',
        date: yesterday,
        status: 'dry_run',
      },
      {
        org_slug: o.org,
        provider: 'OCI',
        pipeline_path: 'cloud/oci/cost/billing',
        date: yesterday,
        status: 'dry_run',
      },
    ]);
    expect(res.json()).toMatchObject({
      pipelines_triggered: 0,
      message: 'Dry run: 2 pipelines would be triggered for 1 orgs',
    });
    expect(await batchRow(res.json().batch_run_id)).toMatchObject({ dry_run: true, run_date: yesterday });
  });

  it('refuses query parameters (422 naming them) instead of running for real: the options are body fields', async () => {
    const o = await anOrg();
    await credentials(o.org, ['OCI']);
    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all?dry_run=true&date=2026-03-09',
      headers: rootHeaders,
      payload: { org_slug: o.org },
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['date', 'dry_run']);
    expect(s.fake.requests).toHaveLength(0);
  });

  it('takes dry_run null as its default (false), and records the batch', async () => {
    const o = await anOrg();
    await credentials(o.org, ['OCI']);
    const res = await runAll({ org_slug: o.org, dry_run: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ batch_recorded: true, errors: [], pipelines_triggered: 1 });
    expect(await batchRow(res.json().batch_run_id)).toMatchObject({ dry_run: false });
  });

  it('counts a 429 as skipped for quota and any other refusal as failed, making the batch PARTIAL', async () => {
    const o = await anOrg();
    await credentials(o.org, ['OPENAI', 'GCP_SA', 'GEMINI']);
    s.fake.handle((req) =>
      req.path.endsWith('/openai')
        ? { status: 429, body: { detail: 'Daily pipeline quota exceeded' } }
        : req.path.includes('/gcp/')
          ? { status: 404, body: { detail: 'Pipeline not found' } }
          : started(req),
    );
    const res = await runAll({ org_slug: o.org });
    expect(res.json()).toMatchObject({
      status: 'PARTIAL',
      pipelines_triggered: 1,
      pipelines_failed: 1,
      pipelines_skipped_quota: 1,
    });
    expect(res.json().results).toContainEqual(
      expect.objectContaining({
        pipeline_path: 'genai/payg/openai',
        status: 'skipped_quota',
        http_status: 429,
      }),
    );
    expect(res.json().results).toContainEqual(
      expect.objectContaining({
        pipeline_path: 'cloud/gcp/cost/billing',
        status: 'failed',
        detail: 'Pipeline not found',
      }),
    );
    expect((await batchRow(res.json().batch_run_id))!.status).toBe('PARTIAL');
  });

  it('limits the run to the requested categories and providers', async () => {
    const o = await anOrg();
    await credentials(o.org, ['GCP_SA', 'AWS_KEYS', 'OPENAI', 'CLAUDE']);
    await runAll({ org_slug: o.org, categories: ['genai'] });
    expect(pathsFor(o.org)).toEqual(['genai/payg/anthropic', 'genai/payg/openai']);
    s.fake.reset();
    await runAll({ org_slug: o.org, providers: ['aws', 'ANTHROPIC'] });
    expect(pathsFor(o.org)).toEqual(['cloud/aws/cost/billing', 'genai/payg/anthropic']);
  });

  it('runs every ACTIVE org without org_slug and records one ALL batch each org sees its part of', async () => {
    const a = await anOrg();
    const b = await anOrg();
    const suspended = await anOrg('SUSPENDED');
    const keyless = (await anOrgWithKey(s.warehouse)).org;
    await credentials(a.org, ['AZURE']);
    await credentials(b.org, ['DEEPSEEK']);
    await credentials(suspended.org, ['OPENAI']);
    await credentials(keyless, ['GEMINI']);
    const res = await runAll({});
    expect(res.statusCode).toBe(200);
    expect(pathsFor(a.org)).toEqual(['cloud/azure/cost/billing']);
    expect(pathsFor(b.org)).toEqual(['genai/payg/deepseek']);
    expect(pathsFor(suspended.org)).toEqual([]);
    expect(pathsFor(keyless)).toEqual([]);
    expect(res.json().errors).toContainEqual({
      org_slug: keyless,
      error: 'No active API key with a stored copy',
    });
    const row = await batchRow(res.json().batch_run_id);
    expect(row).toMatchObject({ org_slug: 'ALL', trigger_type: 'SCHEDULED' });
    const seenByA = await s.t.app.inject({
      method: 'GET',
      url: `/api/v1/pipelines/${a.org}/batch-runs`,
      headers: { 'x-api-key': a.key },
    });
    const batch = seenByA
      .json()
      .runs.find((r: { batch_run_id: string }) => r.batch_run_id === res.json().batch_run_id);
    expect(batch.results).toEqual([expect.objectContaining({ org_slug: a.org, provider: 'AZURE' })]);
    expect(JSON.stringify(batch)).not.toContain(b.org);
    expect(JSON.stringify(batch)).not.toContain(keyless);
  });

  it('reports an org whose key cannot be used as failed pipelines, making the batch PARTIAL', async () => {
    const { org } = await anOrgWithKey(s.warehouse);
    await credentials(org, ['GEMINI', 'AWS_IAM']);
    const res = await runAll({ org_slug: org });
    expect(res.statusCode).toBe(200);
    expect(s.fake.requests).toEqual([]);
    expect(res.json()).toMatchObject({
      status: 'PARTIAL',
      orgs_skipped: 1,
      pipelines_triggered: 0,
      pipelines_failed: 2,
      total_integrations: 2,
      errors: [{ org_slug: org, error: 'No active API key with a stored copy' }],
    });
    expect(res.json().results).toContainEqual(
      expect.objectContaining({
        pipeline_path: 'genai/payg/gemini',
        status: 'failed',
        detail: 'No active API key with a stored copy',
      }),
    );
    expect((await batchRow(res.json().batch_run_id))!.status).toBe('PARTIAL');
  });

  it('tells why a key could not be read: a copy the encryption key cannot decrypt is not an outage', async () => {
    const o = await anOrg();
    await credentials(o.org, ['OPENAI']);
    await s.warehouse.execute(
      `UPDATE ${central('org_api_keys')} SET encrypted_org_api_key = @junk WHERE org_slug = @org`,
      { junk: Buffer.from('not a ciphertext of this key'), org: o.org },
    );
    const res = await runAll({ org_slug: o.org });
    expect(res.json().errors).toEqual([
      {
        org_slug: o.org,
        error: 'The stored copy of the org API key cannot be decrypted with the current encryption key',
      },
    ]);
  });

  it('answers 404 for an org that is not active, 422 for bad input, and only to the root key', async () => {
    const suspended = await anOrg('SUSPENDED');
    const notActive = await runAll({ org_slug: suspended.org });
    expect({ status: notActive.statusCode, code: notActive.json().code }).toEqual({
      status: 404,
      code: 'ORG_NOT_FOUND',
    });
    expect((await runAll({ org_slug: 'no_such_org' })).statusCode).toBe(404);
    const bad = await runAll({ date: '2026-02-30', categories: ['saas'] });
    expect(new Set(bad.json().errors.map((e: { field: string }) => e.field))).toEqual(
      new Set(['date', 'categories']),
    );
    const o = await anOrg();
    expect((await runAll({ org_slug: o.org }, { 'x-api-key': o.key })).statusCode).toBe(401);
    expect(s.fake.requests).toHaveLength(0);
  });
});
