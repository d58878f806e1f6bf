import { FakePipelineService } from '#test/fake-pipeline-service';
import { anOrgWithKey } from '#test/org-factory';
import { startAppWithPipelineService } from '#test/pipeline-service-app';

/** A test that starts its own app: a start takes seconds, more on a busy machine. */
const APP_TEST_TIMEOUT_MS = 120_000;

describe('pipeline proxy behind a gateway URL with a query (a function key: ?code=...)', () => {
  it(
    'posts the run under the gateway path with the query kept, not to the gateway path itself',
    async () => {
      const port = await FakePipelineService.freePort();
      const { fake, t, warehouse, close } = await startAppWithPipelineService(
        { breaker: { volumeThreshold: 10_000 } },
        { PIPELINE_SERVICE_URL: `http://127.0.0.1:${port}/gw/?code=fn-key#part` },
        port,
      );
      try {
        const k = await anOrgWithKey(warehouse);
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
          headers: { 'x-api-key': k.key },
        });
        expect(res.statusCode).toBe(200);
        expect(fake.requests.map((r) => r.url)).toEqual([
          `/gw/api/v1/pipelines/run/${k.org}/genai/payg/openai?code=fn-key`,
        ]);
      } finally {
        await close();
      }
    },
    APP_TEST_TIMEOUT_MS,
  );
});
