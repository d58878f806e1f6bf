import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoRunFolder } from './demo-folders.js';

describe('demoRunFolder', () => {
  it('gives each seeding a folder of its own under $DATA_DIR/demo', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-folders-'));
    const [a, b] = await Promise.all([demoRunFolder(dataDir), demoRunFolder(dataDir)]);
    expect(a).not.toBe(b);
    for (const dir of [a, b]) {
      expect(path.dirname(dir)).toBe(path.join(dataDir, 'demo'));
      expect(fs.statSync(dir).isDirectory()).toBe(true);
    }
  });

  it("removes the folders of processes that are gone, never a live one's", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-folders-'));
    const demo = path.join(dataDir, 'demo');
    // No process has the first pid; the second is this test's parent, alive.
    const names = ['run-2147483646-abc', `run-${process.ppid}-def`, `run-${process.pid}-ghi`];
    for (const name of names) fs.mkdirSync(path.join(demo, name), { recursive: true });
    const mine = await demoRunFolder(dataDir);
    expect(fs.readdirSync(demo).sort()).toEqual([...names.slice(1), path.basename(mine)].sort());
  });
});
