import { randomUUID } from 'node:crypto';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { central, CENTRAL_DATASET } from '#warehouse';
import { postgresTenancyEnv, rootHeaders } from '#test/test-app';
import { startValidatorApp, type ValidatorApp } from '#test/validator-app';

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/**
 * A retry of a run the validator granted (same run id) gets the grant again while its reservation
 * is live, even when the checks made before reserving (subscription, required integration) would
 * refuse it now; a new run is still refused by them.
 */
function scenarios(engine: string, engineEnv: () => Record<string, string>) {
  describe(`validator retries of a granted run on ${engine}`, () => {
    let v: ValidatorApp;

    beforeAll(async () => {
      v = await startValidatorApp(engineEnv());
    });
    afterAll(() => v.close());

    const aCredential = async (org: string, secret: string) => {
      const encryptor = v.t.app.get<Encryptor>(ENCRYPTOR);
      await v.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_integration_credentials' }, [
        {
          credential_id: randomUUID(),
          org_slug: org,
          provider: 'OPENAI',
          credential_name: 'OPENAI main',
          encrypted_credential: await encryptor.encrypt(secret, `credential:${org}:OPENAI`),
          credential_type: 'API_KEY',
          validation_status: 'VALID',
          is_active: true,
          created_at: new Date(),
        },
      ]);
    };
    const usage = (org: string) => v.usage(org);

    it('grants a retry of a run granted before its trial ended at UTC midnight, and refuses a new run', async () => {
      const k = await v.anOrg({
        billing_status: 'trialing',
        trial_ends_at: `${day(0)}T00:00:00Z`,
        concurrent_pipelines_limit: 5,
      });
      await aCredential(k.org, 'sk-retry-secret');
      const run = { pipeline_id: 'genai_payg_openai', pipeline_logging_id: `run-${randomUUID()}` };
      const first = (
        await v.validate(k.org, k.key, { ...run, include_credentials: true }, rootHeaders)
      ).json();
      expect(first).toMatchObject({
        valid: true,
        replayed: false,
        credentials: { credentials: 'sk-retry-secret' },
      });

      // UTC midnight passes: the trial's last day is now yesterday.
      await v.db.update('organizations', { org_slug: k.org }, { trial_ends_at: `${day(-1)}T00:00:00Z` });
      const retry = (
        await v.validate(k.org, k.key, { ...run, include_credentials: true }, rootHeaders)
      ).json();
      expect(retry).toMatchObject({
        valid: true,
        replayed: true,
        error_code: null,
        run_id: run.pipeline_logging_id,
        reservation_id: first.reservation_id,
        reservation_date: first.reservation_date,
        reservation_expires_at: first.reservation_expires_at,
        credentials: { credentials: 'sk-retry-secret' },
      });
      // Counted once, and the slot is the one reservation.
      expect(await usage(k.org)).toMatchObject({ pipelines_run_today: 1, concurrent_running: 1 });

      const fresh = await v.validate(k.org, k.key, {
        pipeline_id: 'genai_payg_openai',
        pipeline_logging_id: `run-${randomUUID()}`,
      });
      expect(fresh.json()).toMatchObject({
        valid: false,
        error_code: 'SUBSCRIPTION_INACTIVE',
        error: `Subscription trial ended on ${day(-1)}. Must be ACTIVE or TRIAL.`,
        reservation_id: null,
      });
      expect(await usage(k.org)).toMatchObject({ pipelines_run_today: 1, concurrent_running: 1 });
    });

    it('grants a retry (Idempotency-Key as run id) after the integration was disabled, and refuses a new run', async () => {
      const k = await v.anOrg({ concurrent_pipelines_limit: 5 });
      await aCredential(k.org, 'sk-disabled-later');
      const key = `idem-${randomUUID()}`;
      const payload = { pipeline_id: 'genai_payg_openai' };
      const first = (await v.validate(k.org, k.key, payload, { 'idempotency-key': key })).json();
      expect(first).toMatchObject({ valid: true, run_id: key });

      await v.warehouse.execute(
        `UPDATE ${central('org_integration_credentials')} SET is_active = false WHERE org_slug = @org`,
        { org: k.org },
      );
      const retry = (await v.validate(k.org, k.key, payload, { 'idempotency-key': key })).json();
      expect(retry).toMatchObject({
        valid: true,
        replayed: true,
        run_id: key,
        reservation_id: first.reservation_id,
        credentials: null,
      });
      const fresh = await v.validate(k.org, k.key, payload, { 'idempotency-key': `idem-${randomUUID()}` });
      expect(fresh.json()).toMatchObject({ valid: false, error_code: 'INTEGRATION_NOT_CONFIGURED' });
      expect(await usage(k.org)).toMatchObject({ pipelines_run_today: 1, concurrent_running: 1 });
    });

    it('refuses a retry once the run completed, and one naming another pipeline', async () => {
      const k = await v.anOrg({ concurrent_pipelines_limit: 5 });
      await aCredential(k.org, 'sk-done');
      const runId = `run-${randomUUID()}`;
      const run = { pipeline_id: 'genai_payg_openai', pipeline_logging_id: runId };
      expect((await v.validate(k.org, k.key, run)).json()).toMatchObject({ valid: true });
      await v.db.update('organizations', { org_slug: k.org }, { billing_status: 'canceled' });
      // The same run id for another pipeline that needs an integration is no retry of the grant.
      const other = await v.validate(k.org, k.key, {
        pipeline_id: 'genai_payg_anthropic',
        pipeline_logging_id: runId,
      });
      expect(other.json()).toMatchObject({ valid: false, error_code: 'SUBSCRIPTION_INACTIVE' });
      const done = await v.t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/complete/${k.org}`,
        headers: { 'x-api-key': k.key },
        payload: { pipeline_logging_id: runId, pipeline_status: 'SUCCESS' },
      });
      expect(done.statusCode).toBe(200);
      expect((await v.validate(k.org, k.key, run)).json()).toMatchObject({
        valid: false,
        error_code: 'SUBSCRIPTION_INACTIVE',
      });
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
