import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CostImportError } from './cost-import.errors.js';
import { Utf8Check } from './utf8-check.js';

/** Runs `chunks` through a Utf8Check: the bytes passed on, or the error it refused them with. */
async function check(chunks: Buffer[]): Promise<Buffer | CostImportError> {
  const out: Buffer[] = [];
  try {
    await pipeline(Readable.from(chunks, { objectMode: false }), new Utf8Check(), async (source) => {
      for await (const part of source as AsyncIterable<Buffer>) out.push(part);
    });
  } catch (error) {
    if (error instanceof CostImportError) return error;
    throw error;
  }
  return Buffer.concat(out);
}

const b = (...bytes: number[]) => Buffer.from(bytes);
const text = (s: string) => Buffer.from(s);

/** Chunk boundaries are where a read stream puts them; every byte sequence is judged across them. */
describe('Utf8Check', () => {
  it('passes UTF-8 through unchanged, every character split at every boundary', async () => {
    const whole = text('a,é\n€,😀\n');
    for (let cut = 0; cut <= whole.length; cut++) {
      const passed = await check([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(passed).toEqual(whole);
    }
    const bytewise = await check([...whole].map((byte) => b(byte)));
    expect(bytewise).toEqual(whole);
  });

  it.each([
    ['a lead byte whose next chunk starts with no continuation', [text('x\nab'), b(0xe2), text('z\n')]],
    ['a byte no UTF-8 sequence starts with, at a chunk end', [text('x\nab'), b(0xf8), b(0x80, 0x80, 0x80)]],
    ['an overlong encoding split across chunks', [text('x\n'), b(0xc0), b(0x80)]],
    ['a UTF-16 surrogate encoded as UTF-8', [text('x\n'), b(0xed, 0xa0), b(0x80)]],
    ['a code point past U+10FFFF', [text('x\n'), b(0xf4, 0x90, 0x80), b(0x80)]],
  ])('refuses %s, naming its line', async (_, chunks) => {
    const refused = await check(chunks);
    expect(refused).toBeInstanceOf(CostImportError);
    expect((refused as CostImportError).detail).toMatch(/not UTF-8 text \(line 2\)/);
  });

  it('refuses bytes that end inside a character, at the end', async () => {
    const refused = await check([text('x\ny\n'), b(0xf0, 0x9f)]);
    expect((refused as CostImportError).detail).toMatch(/line 3\)/);
  });
});
