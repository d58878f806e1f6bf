import fs from 'node:fs';
import { SERVER_NODE_FLAGS } from '../bench/bench-support.js';

// The image, `npm start` and the benches run the API with the same Node flags: what the benches
// measure (and what a developer sees in a stack) is what production runs.
const read = (file: string) => fs.readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

/** The `--` flags of a `node … main.js` command line. */
const flagsOf = (command: string) => command.split(/[\s",[\]]+/).filter((word) => word.startsWith('--'));

describe('Node flags of the API', () => {
  it("are the same in the Dockerfile's CMD, npm start and the benches", () => {
    const cmd = /^CMD (.*)$/m.exec(read('Dockerfile'))?.[1] ?? '';
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start;
    expect(cmd).toContain('dist/apps/api/src/main.js');
    expect(flagsOf(cmd).sort()).toEqual([...SERVER_NODE_FLAGS].sort());
    expect(flagsOf(start).sort()).toEqual([...SERVER_NODE_FLAGS].sort());
  });
});
