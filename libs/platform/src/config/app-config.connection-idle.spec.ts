import { configProblems } from './testing/config-problems.js';

describe('CONNECTION_IDLE_TIMEOUT_MS', () => {
  it('refuses an idle timeout under a second, as seconds written for milliseconds would be', () => {
    // 120 meant as two minutes: every request whose handler was silent 120 ms lost its connection.
    for (const value of ['120', '1', '999'])
      expect(configProblems({ CONNECTION_IDLE_TIMEOUT_MS: value })).toEqual([
        'CONNECTION_IDLE_TIMEOUT_MS must be 0 (never) or at least 1000 milliseconds (120000 is two minutes)',
      ]);
  });

  it('takes 0 (never) and a second or more', () => {
    for (const value of ['0', '1000', '120000'])
      expect(configProblems({ CONNECTION_IDLE_TIMEOUT_MS: value })).toEqual([]);
  });
});
