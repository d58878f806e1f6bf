import { configProblems, PRODUCTION_ON_EMBEDDED_ENGINES } from './testing/config-problems.js';

const production = PRODUCTION_ON_EMBEDDED_ENGINES;

describe('LOG_LEVEL', () => {
  it('refuses silent in production (an instance with no logs at all), by name', () => {
    expect(configProblems({ ...production, LOG_LEVEL: 'silent' })).toEqual([
      'LOG_LEVEL: production refuses silent (an instance writing no logs at all, its failures unseen); use fatal, error or warn for the fewest lines',
    ]);
    // Read in any case, as every word setting.
    expect(configProblems({ ...production, LOG_LEVEL: ' Silent ' })).toHaveLength(1);
    expect(configProblems({ ...production, LOG_LEVEL: 'fatal' })).toEqual([]);
    // Tests and development runs keep it quiet.
    expect(configProblems({ LOG_LEVEL: 'silent' })).toEqual([]);
    expect(configProblems({ ...production, ENVIRONMENT: 'staging', LOG_LEVEL: 'silent' })).toEqual([]);
  });
});
