import { MIN_DEMO_ROWS } from '#platform';
import { runServerProcess } from '#test/server-process';
import { startTestApp } from '#test/test-app';
import { DemoService } from '../apps/api/src/demo/demo.service.js';

describe('the fewest demo rows', () => {
  it('`npm run demo -- --rows` refuses fewer than give every provider one, before importing', async () => {
    const run = await runServerProcess({}, undefined, {
      file: 'apps/api/src/demo/main.ts',
      args: ['--rows', String(MIN_DEMO_ROWS - 1)],
    });

    expect(run.code).toBe(1);
    expect(run.log).toContain('--rows must be a whole number from 20 to 10000000');
    expect(run.log).not.toContain('demo rows of');
  }, 120_000);

  it.each(['0x20', '1e3', '--seed'])(
    '`npm run demo` refuses a count that is no decimal whole number (%s) as DEMO_ROWS does',
    async (bad) => {
      const args = bad === '--seed' ? ['--seed', '0x20'] : ['--rows', bad];
      const run = await runServerProcess({}, undefined, { file: 'apps/api/src/demo/main.ts', args });

      expect(run.code).toBe(1);
      expect(run.log).toMatch(/--(rows|seed) must be a whole number/);
      expect(run.log).not.toContain('demo rows of');
    },
    120_000,
  );

  it('seeds every source with that many rows', async () => {
    const t = await startTestApp();
    try {
      const seeded = await t.app.get(DemoService).ensureDemo({ rows: MIN_DEMO_ROWS, end: '2025-06-30' });

      expect(seeded.rows).toBe(MIN_DEMO_ROWS);
      expect(seeded.imports).toHaveLength(6);
      for (const i of seeded.imports) expect(i.rows).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  }, 120_000);
});
