import { loadAppConfig } from './app-config.js';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

const deadlineOf = (env: Record<string, string>) =>
  loadAppConfig({ DATA_DIR: tmpDataDir(), CA_ROOT_API_KEY: 'k'.repeat(32), ...env })
    .pipelineServiceDeadlineMs;

describe('PIPELINE_SERVICE_DEADLINE_MS: one pipeline service call, its retries included', () => {
  it('is 100 s by default, under the 120 s idle timeout that closes the waiting caller', () => {
    expect(deadlineOf({})).toBe(100_000);
    // A shorter idle timeout shortens the default with it; none (0) leaves it.
    expect(deadlineOf({ CONNECTION_IDLE_TIMEOUT_MS: '60000' })).toBe(50_000);
    expect(deadlineOf({ CONNECTION_IDLE_TIMEOUT_MS: '0' })).toBe(100_000);
    expect(deadlineOf({ PIPELINE_SERVICE_DEADLINE_MS: '30000' })).toBe(30_000);
    expect(deadlineOf({ PIPELINE_SERVICE_DEADLINE_MS: '900000', CONNECTION_IDLE_TIMEOUT_MS: '0' })).toBe(
      900_000,
    );
  });

  it('refuses a deadline the idle timeout would cut, and one under a second', () => {
    const problems = (env: Record<string, string>) =>
      configProblems({ CA_ROOT_API_KEY: 'k'.repeat(32), ...env });
    expect(problems({ PIPELINE_SERVICE_DEADLINE_MS: '120000' })).toEqual([
      "PIPELINE_SERVICE_DEADLINE_MS: must be shorter than CONNECTION_IDLE_TIMEOUT_MS (120000), which closes the caller's connection while the pipeline service is waited for",
    ]);
    expect(problems({ PIPELINE_SERVICE_DEADLINE_MS: '999' })).toEqual([
      'PIPELINE_SERVICE_DEADLINE_MS must not be less than 1000',
    ]);
    expect(problems({ PIPELINE_SERVICE_DEADLINE_MS: '1m' })).toEqual([
      'PIPELINE_SERVICE_DEADLINE_MS must be an integer number',
    ]);
  });
});
