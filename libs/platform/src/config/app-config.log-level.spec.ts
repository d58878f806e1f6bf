import { configProblems, PRODUCTION_ON_EMBEDDED_ENGINES } from './testing/config-problems.js';

const production = PRODUCTION_ON_EMBEDDED_ENGINES;

describe('LOG_LEVEL', () => {
  it('refuses silent in staging and production (an instance with no logs at all), by name', () => {
    for (const ENVIRONMENT of ['production', 'staging']) {
      const deployed = { ...production, ENVIRONMENT };
      expect(configProblems({ ...deployed, LOG_LEVEL: 'silent' })).toEqual([
        'LOG_LEVEL: staging and production refuse silent (an instance writing no logs at all, its failures unseen); use fatal, error or warn for the fewest lines',
      ]);
      // Read in any case, as every word setting.
      expect(configProblems({ ...deployed, LOG_LEVEL: ' Silent ' })).toHaveLength(1);
      expect(configProblems({ ...deployed, LOG_LEVEL: 'fatal' })).toEqual([]);
    }
    // Tests and development runs keep it quiet.
    expect(configProblems({ LOG_LEVEL: 'silent' })).toEqual([]);
  });
});
