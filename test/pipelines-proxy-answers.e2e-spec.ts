import type { Warehouse } from '#warehouse';
import { type FakePipelineService } from '#test/fake-pipeline-service';
import { anOrgWithKey } from '#test/org-factory';
import { type TestApp } from '#test/test-app';
import { startAppWithPipelineService } from '#test/pipeline-service-app';

describe('pipeline proxy: what of the service answer reaches the caller', () => {
  let fake: FakePipelineService;
  let t: TestApp;
  let warehouse: Warehouse;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ fake, t, warehouse, close } = await startAppWithPipelineService({
      requestTimeoutMs: 2_000,
      retryDelaysMs: [20],
      triggerLimitPerMinute: 1_000,
      breaker: { volumeThreshold: 10_000 },
    }));
  });
  afterAll(() => close());
  beforeEach(() => void fake.reset());

  const trigger = async () => {
    const k = await anOrgWithKey(warehouse);
    return t.app.inject({
      method: 'POST',
      url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
      headers: { 'x-api-key': k.key },
    });
  };

  it('refuses a 2xx whose run id, pipeline id or status is no short string (502 naming it), echoing none of it', async () => {
    const huge = 'x'.repeat(200_000);
    for (const [field, value] of [
      ['pipeline_id', huge],
      ['pipeline_logging_id', { id: 'run-1' }],
      ['status', 42],
      ['status', 'PENDING\n<script>'],
      ['pipeline_logging_id', 'r'.repeat(129)],
    ] as const) {
      fake.always({ status: 200, body: { pipeline_logging_id: 'run-1', status: 'PENDING', [field]: value } });
      const res = await trigger();
      expect({ status: res.statusCode, type: res.headers['content-type'] }, field).toEqual({
        status: 502,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(res.json()).toMatchObject({
        code: 'PIPELINE_SERVICE_BAD_GATEWAY',
        upstream_status: 200,
        field,
        detail: expect.stringContaining('may or may not have started'),
      });
      expect(res.body.length).toBeLessThan(2_000);
    }
    // At their limits, and absent, they pass as before.
    fake.always({
      status: 200,
      body: { pipeline_logging_id: 'r'.repeat(128), pipeline_id: 'p'.repeat(512), status: 'S'.repeat(64) },
    });
    expect((await trigger()).json()).toMatchObject({
      pipeline_logging_id: 'r'.repeat(128),
      status: 'S'.repeat(64),
    });
    fake.always({ status: 200, body: { pipeline_logging_id: null, status: '' } });
    expect((await trigger()).json()).toMatchObject({ pipeline_logging_id: null, status: 'PENDING' });
  });
});
