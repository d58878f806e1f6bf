import { PlatformError } from '../errors/platform-errors.js';
import { BodyBudget, type BodyReservation } from './body-budget.js';

const reserved = (r: BodyReservation | PlatformError) => {
  if (r instanceof PlatformError) throw new Error(`refused: ${r.message}`);
  return r;
};

describe('BodyBudget', () => {
  it('holds one caller to two bodies of the limit at once, and gives their bytes back once', () => {
    const budget = new BodyBudget(1000);
    const first = reserved(budget.reserve('key:a', 1000));
    const second = reserved(budget.reserve('key:a', 1000));
    const third = budget.reserve('key:a', 10);
    expect(third).toBeInstanceOf(PlatformError);
    expect((third as PlatformError).headers).toMatchObject({ 'Retry-After': '1', Connection: 'close' });
    // Another caller is not held back by this one's bodies.
    reserved(budget.reserve('ip:10.0.0.2', 1000));
    first.release();
    first.release();
    expect(budget.bytes).toBe(2000);
    reserved(budget.reserve('key:a', 1000));
    second.release();
  });

  it('counts a chunked body as its bytes arrive, not at the body limit from its headers', () => {
    const budget = new BodyBudget(1000);
    // Small bodies sent without a length: many at once, as with a length.
    const small = Array.from({ length: 20 }, () => reserved(budget.reserve('key:a', undefined)));
    for (const body of small) expect(body.received(50)).toBeUndefined();
    expect(budget.bytes).toBe(20 * 51);
    for (const body of small) body.release();
    expect(budget.bytes).toBe(0);
    // Large ones are refused once their bytes no longer fit, and never count past the body limit.
    const large = [1, 2, 3].map(() => reserved(budget.reserve('key:a', undefined)));
    expect(large[0]!.received(5000)).toBeUndefined();
    expect(budget.bytes).toBe(1000 + 2);
    expect(large[1]!.received(998)).toBeUndefined();
    expect(large[2]!.received(1)).toBeInstanceOf(PlatformError);
    expect(budget.reserve('key:a', undefined)).toBeInstanceOf(PlatformError);
    for (const body of large) body.release();
    expect(budget.bytes).toBe(0);
  });

  it('holds the instance to sixteen bodies of the limit, whoever sends them', () => {
    const budget = new BodyBudget(1000);
    for (let i = 0; i < 16; i++) reserved(budget.reserve(`ip:10.0.0.${i}`, 5000));
    expect(budget.bytes).toBe(16_000);
    expect(budget.reserve('ip:10.0.1.1', 1)).toBeInstanceOf(PlatformError);
    expect(budget.reserve('ip:10.0.1.1', undefined)).toBeInstanceOf(PlatformError);
  });
});
