import { randomUUID } from 'node:crypto';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { type DbRow, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { LogCapture } from '#test/log-capture';
import { anOrgWithKey } from '#test/org-factory';
import { NO_LIMITS } from '#test/org-onboarding';
import { postgresTenancyEnv, rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { startValidatorApp, type ValidatorApp } from '#test/validator-app';

/** The required-integration check and the credentials handed to the pipeline service, on each tenancy engine. */
function scenarios(engine: string, engineEnv: () => Record<string, string>) {
  describe(`validator credentials on ${engine}`, () => {
    let v: ValidatorApp;
    let t: TestApp;
    let warehouse: Warehouse;

    beforeAll(async () => {
      v = await startValidatorApp(engineEnv());
      ({ t, warehouse } = v);
    });
    afterAll(() => v.close());

    const anOrg = (row?: DbRow, scopes?: string[]) => v.anOrg(row, scopes);
    const aCredential = async (org: string, provider: string, secret: string, extra: DbRow = {}) => {
      const encryptor = t.app.get<Encryptor>(ENCRYPTOR);
      await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_integration_credentials' }, [
        {
          credential_id: randomUUID(),
          org_slug: org,
          provider,
          credential_name: `${provider} main`,
          encrypted_credential: await encryptor.encrypt(secret, `credential:${org}:${provider}`),
          credential_type: 'API_KEY',
          validation_status: 'VALID',
          metadata: { project_id: 'proj-1', region: 'us' },
          is_active: true,
          created_at: new Date(),
          ...extra,
        },
      ]);
    };
    const validate = (org: string, key: string, payload: object, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${org}`,
        headers: { 'x-api-key': key, ...headers },
        payload,
      });
    const usage = (org: string) => v.usage(org);

    it('returns the decrypted credential only with include_credentials, and refuses one that will not open', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 5 });
      await aCredential(k.org, 'OPENAI', 'sk-test-secret-123');
      const plain = await validate(k.org, k.key, { pipeline_id: 'genai_payg_openai' });
      expect(plain.json()).toMatchObject({ valid: true, credentials: null });
      // The pipeline service: the org key and the platform root key.
      const withCreds = await validate(
        k.org,
        k.key,
        { pipeline_id: 'genai_payg_openai', include_credentials: true },
        rootHeaders,
      );
      expect(withCreds.json()).toMatchObject({
        valid: true,
        credentials: {
          provider: 'OPENAI',
          credential_type: 'API_KEY',
          credential_name: 'OPENAI main',
          credentials: 'sk-test-secret-123',
          project_id: 'proj-1',
          region: 'us',
        },
      });
      // A ciphertext sealed for another org does not open here.
      const other = await anOrg();
      const encryptor = t.app.get<Encryptor>(ENCRYPTOR);
      await aCredential(k.org, 'ANTHROPIC', 'x', {
        encrypted_credential: await encryptor.encrypt('stolen', `credential:${other.org}:ANTHROPIC`),
      });
      expect(
        (
          await validate(
            k.org,
            k.key,
            { pipeline_id: 'genai_payg_anthropic', include_credentials: true },
            rootHeaders,
          )
        ).json(),
      ).toMatchObject({
        valid: false,
        error_code: 'INTEGRATION_ERROR',
        error: 'Failed to decrypt credentials',
      });
      expect(
        (
          await validate(
            k.org,
            k.key,
            { pipeline_id: 'genai_payg_gemini', include_credentials: true },
            rootHeaders,
          )
        ).json(),
      ).toMatchObject({ valid: false, error_code: 'INTEGRATION_ERROR' });
      expect((await usage(k.org)).pipelines_run_today).toBe(2);
    });

    it('refuses include_credentials to an org key alone, before reserving anything', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 5 });
      await aCredential(k.org, 'OPENAI', 'sk-not-for-tenants');
      // Without a root key: not granted. With a wrong one: refused as the guess it is (counted).
      const attempts: [Record<string, string>, object][] = [
        [{}, { code: 'CREDENTIALS_FORBIDDEN', field: 'include_credentials' }],
        [{ 'x-ca-root-key': 'not_the_root_key_0123456789abcdefghij' }, { code: 'ROOT_KEY_INVALID' }],
      ];
      for (const [headers, problem] of attempts) {
        const res = await validate(
          k.org,
          k.key,
          { pipeline_id: 'genai_payg_openai', include_credentials: true },
          headers,
        );
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject(problem);
        expect(res.body).not.toContain('sk-not-for-tenants');
      }
      expect((await usage(k.org)).pipelines_run_today).toBe(0);
    });

    it("accepts a credential stored under the provider's other name (AWS_KEYS for AWS_IAM, CLAUDE for ANTHROPIC)", async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 5 });
      await aCredential(k.org, 'AWS_KEYS', 'aws-secret-key');
      await aCredential(k.org, 'CLAUDE', 'sk-ant-older-name');
      for (const pipeline_id of ['cloud_aws_cost_billing', 'genai_payg_anthropic'])
        expect((await validate(k.org, k.key, { pipeline_id })).json(), pipeline_id).toMatchObject({
          valid: true,
        });
      expect((await validate(k.org, k.key, { pipeline_id: 'genai_payg_openai' })).json()).toMatchObject({
        valid: false,
        error_code: 'INTEGRATION_NOT_CONFIGURED',
      });
    });

    it('does not count a credential past its expiry or its scheduled deactivation', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 5 });
      const past = new Date(Date.now() - 60_000);
      await aCredential(k.org, 'OPENAI', 'sk-expired', { expires_at: past });
      await aCredential(k.org, 'ANTHROPIC', 'sk-replaced', { deactivation_scheduled_at: past });
      for (const pipeline_id of ['genai_payg_openai', 'genai_payg_anthropic'])
        expect((await validate(k.org, k.key, { pipeline_id })).json()).toMatchObject({
          valid: false,
          error_code: 'INTEGRATION_NOT_CONFIGURED',
        });
    });
  });
}

scenarios('PGlite', () => ({}));

describe('decrypted credentials and the logs', () => {
  it('never writes the credential returned to the pipeline service into a log line', async () => {
    const capture = new LogCapture();
    const t = await startTestApp({ ...NO_LIMITS, LOG_LEVEL: 'debug' }, { logDestination: capture });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const k = await anOrgWithKey(warehouse);
      await t.app
        .get<TenancyDb>(TENANCY_DB)
        .insert('organizations', [{ org_slug: k.org, company_name: 'Acme' }]);
      const secret = `sk-live-${randomUUID()}`;
      const encryptor = t.app.get<Encryptor>(ENCRYPTOR);
      await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_integration_credentials' }, [
        {
          credential_id: randomUUID(),
          org_slug: k.org,
          provider: 'OPENAI',
          encrypted_credential: await encryptor.encrypt(secret, `credential:${k.org}:OPENAI`),
          credential_type: 'API_KEY',
          validation_status: 'VALID',
          is_active: true,
          created_at: new Date(),
        },
      ]);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${k.org}`,
        headers: { 'x-api-key': k.key, ...rootHeaders },
        payload: { pipeline_id: 'genai_payg_openai', include_credentials: true },
      });
      expect(res.json().credentials.credentials).toBe(secret);
      expect(capture.lines.length).toBeGreaterThan(0);
      expect(capture.text).not.toContain(secret);
      expect(capture.text).not.toContain(k.key);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
