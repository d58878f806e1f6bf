import { loadAppConfig } from './app-config.js';
import { configProblems, PRODUCTION_ON_EMBEDDED_ENGINES, tmpDataDir } from './testing/config-problems.js';

const production = PRODUCTION_ON_EMBEDDED_ENGINES;

describe('CORS_ORIGINS', () => {
  it('refuses CORS_ORIGINS=*', () => {
    expect(configProblems({ CORS_ORIGINS: '*' }).join()).toContain('CORS_ORIGINS');
  });

  it('quotes a refused origin without the password it holds (the start prints the problems as they are)', () => {
    const problems = configProblems({ CORS_ORIGINS: 'https://dash:s3cr3t@dash.example.com' });
    expect(problems).toEqual([
      expect.stringMatching(/^CORS_ORIGINS: "https:\/\/dash:\*\*\*@dash.example.com" is not an origin/),
    ]);
    expect(problems.join()).not.toContain('s3cr3t');
  });

  it('refuses CORS origins a browser never sends: a path, a trailing slash, no scheme', () => {
    const problems = configProblems({
      CORS_ORIGINS: 'https://dash.example.com/,dash2.example.com,not a url,http://localhost:3000',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^CORS_ORIGINS: "https:\/\/dash.example.com\/", "dash2.example.com", "not a url" are not origins/,
      ),
    ]);
    expect(
      configProblems({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000,http://10.0.0.5:8080' }),
    ).toEqual([]);
  });

  it("takes an origin written with capitals or its scheme's port in the form browsers send it", () => {
    const env = {
      CORS_ORIGINS: 'https://App.Example.com, https://b.example.com:443,http://C.example.com:80',
    };
    expect(configProblems(env)).toEqual([]);
    expect(loadAppConfig({ DATA_DIR: tmpDataDir(), ...env }).corsOrigins).toEqual([
      'https://app.example.com',
      'https://b.example.com',
      'http://c.example.com',
    ]);
    expect(configProblems({ CORS_ORIGINS: 'https://a.example.com?x=1,https://a.example.com#x' })).toEqual([
      expect.stringMatching(/are not origins/),
    ]);
  });

  it("must be set in staging and production: the default is the development dashboard's", () => {
    const { CORS_ORIGINS: _set, ...unset } = production;
    const refusal =
      "CORS_ORIGINS: staging and production need the dashboard's origins set (the default, http://localhost:3000, is development's)";
    for (const ENVIRONMENT of ['production', 'staging']) {
      expect(configProblems({ ...unset, ENVIRONMENT })).toEqual([refusal]);
      // Empty is unset, as for every variable.
      expect(configProblems({ ...unset, ENVIRONMENT, CORS_ORIGINS: '' })).toEqual([refusal]);
      expect(configProblems({ ...production, ENVIRONMENT })).toEqual([]);
      // Set to the development origin on purpose, it is taken.
      expect(configProblems({ ...production, ENVIRONMENT, CORS_ORIGINS: 'http://localhost:3000' })).toEqual(
        [],
      );
    }
    // Development keeps the default.
    expect(configProblems({})).toEqual([]);
  });

  it('is refused listing no origin at all (spaces or commas only), in every environment', () => {
    const refusal =
      'CORS_ORIGINS lists no origin (spaces or commas only): list the dashboard origins, or leave it unset for the default';
    for (const blank of [' ', ' , ,'])
      for (const env of [{}, production])
        expect(configProblems({ ...env, CORS_ORIGINS: blank })).toEqual([refusal]);
  });
});

// Beside CORS_ORIGINS: the other setting whose default is development's.
describe('PIPELINE_SERVICE_URL', () => {
  it("must be set in staging and production: the default is development's", () => {
    const { PIPELINE_SERVICE_URL: _set, ...unset } = production;
    const refusal =
      "PIPELINE_SERVICE_URL: staging and production need the pipeline service's URL set (the default, http://localhost:8001, is development's)";
    for (const ENVIRONMENT of ['production', 'staging']) {
      expect(configProblems({ ...unset, ENVIRONMENT })).toEqual([refusal]);
      expect(configProblems({ ...unset, ENVIRONMENT, PIPELINE_SERVICE_URL: '' })).toEqual([refusal]);
      // A sidecar on the instance's own loopback, named on purpose, is taken.
      expect(
        configProblems({ ...unset, ENVIRONMENT, PIPELINE_SERVICE_URL: 'http://localhost:8001' }),
      ).toEqual([]);
    }
    expect(configProblems({})).toEqual([]);
  });
});
