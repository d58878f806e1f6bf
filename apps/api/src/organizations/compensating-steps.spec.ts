import { CompensatingSteps, StepFailedError } from './compensating-steps.js';

describe('compensating steps', () => {
  it('undoes the completed steps and the failing one, newest first', async () => {
    const log: string[] = [];
    const steps = new CompensatingSteps();
    await steps.run(
      'STEP 1: a',
      async () => log.push('do a'),
      async () => log.push('undo a'),
    );
    await steps.run('STEP 2: b', async () => log.push('do b'));
    const failure = await steps
      .run(
        'STEP 3: c',
        () => Promise.reject(new Error('boom')),
        async () => log.push('undo c'),
      )
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StepFailedError);
    expect((failure as StepFailedError).step).toBe('STEP 3: c');
    expect(await steps.rollback(() => undefined)).toEqual([]);
    expect(log).toEqual(['do a', 'do b', 'undo c', 'undo a']);
  });

  it('keeps undoing after an undo fails and names the step it could not undo', async () => {
    const log: string[] = [];
    const steps = new CompensatingSteps();
    await steps.run(
      'STEP 1: a',
      async () => 1,
      async () => log.push('undo a'),
    );
    await steps.run(
      'STEP 2: b',
      async () => 2,
      () => Promise.reject(new Error('undo broke')),
    );
    const reported: string[] = [];
    expect(await steps.rollback((step) => reported.push(step))).toEqual(['STEP 2: b']);
    expect(reported).toEqual(['STEP 2: b']);
    expect(log).toEqual(['undo a']);
  });
});
