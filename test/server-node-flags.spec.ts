import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../bench/bench-support.js';

const root = new URL('..', import.meta.url).pathname;
const read = (file: string) => fs.readFileSync(`${root}${file}`, 'utf8');

/** The API's V8 flags are set wherever it starts: npm start, the demo, the container, the benches. */
describe('the API server is started with the same V8 flags everywhere', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it.each(['start', 'start:dev', 'demo'])('package.json %s', (name) => {
    const args = scripts[name].split(/\s+/);
    for (const flag of SERVER_NODE_FLAGS) expect(args).toContain(flag);
  });

  it('the Dockerfile CMD', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    const args = JSON.parse(cmd ?? '[]') as string[];
    expect(args[0]).toBe('node');
    for (const flag of SERVER_NODE_FLAGS) expect(args).toContain(flag);
  });

  it('this Node accepts them silently', () => {
    expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
    const run = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
