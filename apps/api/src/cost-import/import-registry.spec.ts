import { ImportRegistry } from './import-registry.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ImportRegistry.exclusive', () => {
  it('runs the imports of one org one after the other, in arrival order', async () => {
    const registry = new ImportRegistry();
    const events: string[] = [];
    const job = (name: string) =>
      registry.exclusive('org_a', async () => {
        events.push(`${name} start`);
        await tick();
        events.push(`${name} end`);
      });

    await Promise.all([job('first'), job('second'), job('third')]);

    expect(events).toEqual([
      'first start',
      'first end',
      'second start',
      'second end',
      'third start',
      'third end',
    ]);
  });

  it('lets another org run meanwhile, and a failure does not block the next import', async () => {
    const registry = new ImportRegistry();
    const events: string[] = [];
    const failing = registry.exclusive('org_a', async () => {
      events.push('a1 start');
      await tick();
      throw new Error('boom');
    });
    const other = registry.exclusive('org_b', async () => {
      events.push('b start');
    });
    const next = registry.exclusive('org_a', async () => {
      events.push('a2 start');
    });

    await expect(failing).rejects.toThrow('boom');
    await Promise.all([other, next]);
    expect(events).toEqual(['a1 start', 'b start', 'a2 start']);
  });
});
