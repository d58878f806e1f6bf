import { loadAppConfig } from './app-config.js';
import { tmpDataDir } from './testing/config-problems.js';

describe('URL settings from secrets written with echo', () => {
  it('reads each URL setting without the trailing line break a secret file ends in', () => {
    const urls = {
      SUPABASE_URL: 'https://abcd.supabase.co',
      PIPELINE_SERVICE_URL: 'https://pipelines-abc.a.run.app',
      REDIS_URL: 'rediss://default:pw@redis.internal:6380',
      DATABASE_URL: 'postgres://u:pw@db.internal:5432/app',
      BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050',
      KMS_API_ENDPOINT: 'http://127.0.0.1:9051',
    };
    const config = loadAppConfig({
      DATA_DIR: tmpDataDir(),
      CA_ROOT_API_KEY: 'k'.repeat(32),
      ...Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, `${v}\n`])),
    });
    for (const [name, url] of Object.entries(urls))
      expect(config.env[name as keyof typeof urls], name).toBe(url);
  });
});
