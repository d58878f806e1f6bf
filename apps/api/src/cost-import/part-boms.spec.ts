import { Readable } from 'node:stream';
import { PartBoms } from './part-boms.js';

const BOM = '\uFEFF';

/** The text passed through PartBoms in chunks cut at `cuts` (byte offsets). */
async function through(text: string, cuts: number[]): Promise<string> {
  const bytes = Buffer.from(text);
  const edges = [0, ...cuts, bytes.length];
  const chunks = edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(new PartBoms())) out.push(chunk as Buffer);
  return Buffer.concat(out).toString();
}

describe('PartBoms', () => {
  const file = `${BOM}"a","b"\r\n1,2\n${BOM}"a","b"\r${BOM}"a","b"\n3,x${BOM}y\n${BOM}`;
  const expected = `"a","b"\r\n1,2\n"a","b"\r"a","b"\n3,x${BOM}y\n`;

  it('drops the BOMs that start a line and keeps one inside a line, wherever the chunks end', async () => {
    const length = Buffer.byteLength(file);
    for (let cut = 1; cut < length; cut++) expect(await through(file, [cut])).toBe(expected);
    for (let cut = 1; cut + 1 < length; cut++) expect(await through(file, [cut, cut + 1])).toBe(expected);
  });

  it('passes a file ending in the first bytes of a BOM on unchanged', async () => {
    const cut = Buffer.concat([Buffer.from('1,2\n'), Buffer.from(BOM).subarray(0, 2)]);
    const out: Buffer[] = [];
    for await (const chunk of Readable.from([cut]).pipe(new PartBoms())) out.push(chunk as Buffer);
    expect(Buffer.concat(out)).toEqual(cut);
  });
});
