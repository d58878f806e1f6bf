import { PlatformError } from '../errors/platform-errors.js';
import { BodyBudget } from './body-budget.js';

describe('BodyBudget', () => {
  it('holds one caller to two bodies of the limit at once, and gives their bytes back once', () => {
    const budget = new BodyBudget(1000);
    const first = budget.reserve('key:a', 1000);
    const second = budget.reserve('key:a', undefined);
    expect([typeof first, typeof second]).toEqual(['function', 'function']);
    const third = budget.reserve('key:a', 10);
    expect(third).toBeInstanceOf(PlatformError);
    expect((third as PlatformError).headers).toMatchObject({ 'Retry-After': '1', Connection: 'close' });
    // Another caller is not held back by this one's bodies.
    expect(typeof budget.reserve('ip:10.0.0.2', 1000)).toBe('function');
    (first as () => void)();
    (first as () => void)();
    expect(budget.bytes).toBe(2000);
    expect(typeof budget.reserve('key:a', 1000)).toBe('function');
  });

  it('holds the instance to sixteen bodies of the limit, whoever sends them', () => {
    const budget = new BodyBudget(1000);
    for (let i = 0; i < 16; i++) expect(typeof budget.reserve(`ip:10.0.0.${i}`, 5000)).toBe('function');
    expect(budget.bytes).toBe(16_000);
    expect(budget.reserve('ip:10.0.1.1', 1)).toBeInstanceOf(PlatformError);
  });
});
