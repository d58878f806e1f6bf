import { Transform } from 'class-transformer';
import { getMetadataStorage, IsIn, IsInt, IsOptional, IsString, Max, validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { PlatformError } from './platform-errors.js';
import { createValidationPipe, MEMO_BYTES_PER_CLASS } from './validation.js';

let transforms = 0;

class PageQuery {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => {
    transforms++;
    return typeof value === 'string' ? Number(value) : value;
  })
  @IsInt()
  @Max(100)
  limit?: number;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsString({ each: true })
  providers?: string[];
}

class BaseBody {
  @IsIn(['SUCCESS', 'FAILED'])
  status!: string;
}

class CompleteBody extends BaseBody {
  @IsString()
  run_id!: string;
}

const query = { type: 'query', metatype: PageQuery, data: undefined } as const;
const body = { type: 'body', metatype: CompleteBody, data: undefined } as const;

describe('global validation pipe memo', () => {
  const pipe = createValidationPipe();

  it('answers a repeated query with the same frozen instance, transformed once', async () => {
    const before = transforms;
    const first = (await pipe.transform({ limit: '20', providers: 'aws,gcp' }, query)) as PageQuery;
    const second = (await pipe.transform({ limit: '20', providers: 'aws,gcp' }, query)) as PageQuery;
    expect(first).toBeInstanceOf(PageQuery);
    expect(first).toEqual({ limit: 20, providers: ['aws', 'gcp'] });
    expect(second).toBe(first);
    expect(transforms - before).toBe(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first.providers)).toBe(true);
    const other = (await pipe.transform({ limit: '21' }, query)) as PageQuery;
    expect(other).not.toBe(first);
    expect(other.limit).toBe(21);
  });

  it('refuses a bad query every time, naming the field', async () => {
    for (let i = 0; i < 2; i++) {
      const refusal = await pipe.transform({ limit: '500' }, query).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(PlatformError);
      expect((refusal as PlatformError).message).toMatch(/limit/);
    }
    await expect(pipe.transform({ limit: '5', nope: '1' }, query)).rejects.toThrow(/nope/);
  });

  it('remembers long queries within a byte bound, not only a count', async () => {
    const own = createValidationPipe();
    const first = await own.transform({ providers: 'aws' }, query);
    expect(await own.transform({ providers: 'aws' }, query)).toBe(first);
    // Far fewer than the 1,000 entries a class keeps, but more bytes than it may hold.
    const long = (i: number) => ({ providers: `${i}-`.padEnd(2000, 'x') });
    const count = Math.ceil(MEMO_BYTES_PER_CLASS / (4 * 2000)) + 10;
    for (let i = 0; i < count; i++) await own.transform(long(i), query);
    expect(await own.transform({ providers: 'aws' }, query)).not.toBe(first);
    // The latest are still remembered.
    const latest = await own.transform(long(count - 1), query);
    expect(await own.transform(long(count - 1), query)).toBe(latest);
  });

  it('never reuses a body, and still applies inherited rules', async () => {
    const payload = { status: 'SUCCESS', run_id: 'r1' };
    const a = await pipe.transform({ ...payload }, body);
    const b = await pipe.transform({ ...payload }, body);
    expect(a).toEqual(payload);
    expect(b).not.toBe(a);
    expect(Object.isFrozen(a)).toBe(false);
    await expect(pipe.transform({ status: 'DONE', run_id: 'r1' }, body)).rejects.toThrow(/status/);
  });
});

describe('memoized class-validator metadata', () => {
  it('resolves a class once and keeps classes declared later correct', async () => {
    createValidationPipe();
    const storage = getMetadataStorage();
    const once = storage.getTargetValidationMetadatas(CompleteBody, '', false, false);
    expect(storage.getTargetValidationMetadatas(CompleteBody, '', false, false)).toBe(once);
    expect(once.map((m) => m.propertyName).sort()).toEqual(['run_id', 'status']);

    class LaterBody extends CompleteBody {
      @IsInt()
      attempt!: number;
    }
    const later = Object.assign(new LaterBody(), { status: 'FAILED', run_id: 'r', attempt: 'x' });
    expect((await validate(later)).map((e) => e.property)).toEqual(['attempt']);
    const wrongParent = Object.assign(new LaterBody(), { status: 'NOPE', run_id: 'r', attempt: 1 });
    expect((await validate(wrongParent)).map((e) => e.property)).toEqual(['status']);
    // The parent's own answer did not change by a subclass appearing.
    expect(storage.getTargetValidationMetadatas(CompleteBody, '', false, false)).toBe(once);
  });
});
