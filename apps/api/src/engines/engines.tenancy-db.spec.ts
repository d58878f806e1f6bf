import { loadAppConfig } from '#platform';
import { startFailureMessage } from '../start-failure.js';
import { openTenancyDb } from './engines.js';

describe('a start on a postgres tenancy database it cannot use', () => {
  it('names DATABASE_URL above the driver reason, its password masked', async () => {
    const config = loadAppConfig({
      DATA_DIR: '/tmp/finops-unused-data-dir',
      TENANCY_DB_DRIVER: 'postgres',
      // Nothing listens on the discard port.
      DATABASE_URL: 'postgres://app:s3cr3t@127.0.0.1:9/app',
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    const failure = await openTenancyDb(config).then(
      () => null,
      (err: unknown) => err,
    );
    expect(startFailureMessage(failure)).toMatch(
      /^The tenancy database at DATABASE_URL could not be used\n {2}caused by: The tenancy database is unavailable\.\n {2}caused by: connect ECONNREFUSED 127\.0\.0\.1:9/,
    );
    expect(startFailureMessage(failure)).not.toContain('s3cr3t');
  });
});
