import { configProblems } from './testing/config-problems.js';

// Moved from app-config.spec.ts, grown past 350 lines.
describe('CORS_ORIGINS', () => {
  it('refuses CORS_ORIGINS=*', () => {
    expect(configProblems({ CORS_ORIGINS: '*' }).join()).toContain('CORS_ORIGINS');
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
});
