import { ConfigValidationError } from '#platform';

describe('loadConfiguredApp', () => {
  const saved = process.env.CONFIGS_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.CONFIGS_DIR;
    else process.env.CONFIGS_DIR = saved;
  });

  it('names a bad CONFIGS_DIR (and every other bad variable) before any module reads configs/', async () => {
    // The app's modules read configs/ as they load; from the environment, before validation, a
    // missing folder was a stack trace of a file not found, naming no variable.
    process.env.CONFIGS_DIR = '/nonexistent/configs';
    const { loadConfiguredApp } = await import('./boot.js');
    const attempt = loadConfiguredApp({ CONFIGS_DIR: '/nonexistent/configs', PORT: 'abc' });
    await expect(attempt).rejects.toBeInstanceOf(ConfigValidationError);
    await expect(attempt).rejects.toThrow(/CONFIGS_DIR: \/nonexistent\/configs holds no pipelines\.yml/);
    await expect(attempt).rejects.toThrow(/PORT/);
  });
});
