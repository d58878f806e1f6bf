import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { started } from '#test/fake-pipeline-service';
import { OpenApiContract } from '#test/openapi-contract';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

const RUN_ALL = '/api/v1/admin/pipelines/run-all';
const BATCH_RUNS = '/api/v1/pipelines/{org}/batch-runs';

/**
 * Run-all and the batch history it writes, against the OpenAPI document, strictly (a field the
 * document lacks fails, as does a documented one missing): with every kind of outcome a batch
 * reports (triggered, skipped for quota, failed with and without an HTTP status, skipped, dry run)
 * and an org error, which the conformance suite's one dry run over no credentials never meets.
 */
describe('run-all answers as the OpenAPI document says', () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [], breaker: { volumeThreshold: 10_000 } });
  let contract: OpenApiContract;

  beforeAll(async () => {
    contract = new OpenApiContract((await s.t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
  });

  const runAll = (payload: object) =>
    s.t.app.inject({ method: 'POST', url: RUN_ALL, headers: rootHeaders, payload });

  it('documents each outcome of a batch, its org errors, and the history that records them', async () => {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    const key = (await s.t.app.get(ApiKeyService).issue(org)).apiKey;
    await integrationCredentials(s.warehouse, org, ['OPENAI', 'GCP_SA', 'GEMINI', 'AWS_BEDROCK']);
    s.fake.handle((req) =>
      req.path.endsWith('/openai')
        ? { status: 429, body: { detail: 'Daily pipeline quota exceeded' } }
        : req.path.includes('/gcp/')
          ? { status: 404, body: { detail: 'Pipeline not found' } }
          : started(req),
    );
    const { org: keyless } = await anOrgWithKey(s.warehouse);
    await integrationCredentials(s.warehouse, keyless, ['OCI']);

    const answers = [
      await runAll({ org_slug: org, date: '2026-03-09' }),
      await runAll({ org_slug: org, dry_run: true }),
      await runAll({ org_slug: keyless }),
    ];
    const statuses = new Set(answers.flatMap((a) => a.json<{ results: { status: string }[] }>().results));
    expect([...statuses].map((r) => r.status).sort()).toEqual(
      expect.arrayContaining(['dry_run', 'failed', 'skipped', 'skipped_quota', 'triggered']),
    );
    expect(answers[2]!.json().errors).toHaveLength(1);
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(contract.conformance('post', RUN_ALL, res), res.body).toEqual([]);
    }

    const history = await s.t.app.inject({
      method: 'GET',
      url: BATCH_RUNS.replace('{org}', org),
      headers: { 'x-api-key': key },
    });
    expect(history.json().runs).toHaveLength(2);
    expect(contract.conformance('get', BATCH_RUNS, history), history.body).toEqual([]);
  });
});
