import { loadAppConfig } from './app-config.js';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

describe('BIGQUERY_LOCATION', () => {
  it('refuses a blank or unknown location by name', () => {
    for (const value of [' ', 'USA', 'us-central', 'europe west1'])
      expect(configProblems({ BIGQUERY_LOCATION: value }), value).toEqual([
        expect.stringMatching(
          /^BIGQUERY_LOCATION must be a BigQuery location the product supports \(US, EU, /,
        ),
      ]);
  });

  it('takes a location dataset_location takes, whatever its case, without a trailing line break', () => {
    for (const value of ['US', 'EU', 'us', 'europe-west1'])
      expect(configProblems({ BIGQUERY_LOCATION: value }), value).toEqual([]);
    expect(loadAppConfig({ DATA_DIR: tmpDataDir(), BIGQUERY_LOCATION: 'EU\n' }).env.BIGQUERY_LOCATION).toBe(
      'EU',
    );
  });

  it('keeps a location given in another case in the spelling an onboarding takes', () => {
    // It is every new org's dataset_location: `eu` was answered by the onboarding, and stored, as a
    // location the onboarding itself refuses (422) when a client sends it back.
    for (const [value, spelled] of [
      ['eu', 'EU'],
      [' us\n', 'US'],
      ['Europe-West1', 'europe-west1'],
    ])
      expect(loadAppConfig({ DATA_DIR: tmpDataDir(), BIGQUERY_LOCATION: value }).env.BIGQUERY_LOCATION).toBe(
        spelled,
      );
  });
});
