import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { demoRunFolder } from './demo-folders.js';

describe('demoRunFolder', () => {
  it('gives each seeding a folder of its own under $DATA_DIR/demo, removed with its lock', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-folders-'));
    const [a, b] = await Promise.all([demoRunFolder(dataDir), demoRunFolder(dataDir)]);
    expect(a.dir).not.toBe(b.dir);
    for (const { dir } of [a, b]) {
      expect(path.dirname(dir)).toBe(path.join(dataDir, 'demo'));
      expect(fs.statSync(dir).isDirectory()).toBe(true);
    }
    await a.remove();
    await b.remove();
    expect(fs.readdirSync(path.join(dataDir, 'demo'))).toEqual([]);
  });

  it("removes the folders of seedings that are gone, never a live one's, whatever its pid", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-folders-'));
    const demo = path.join(dataDir, 'demo');
    // Both name a pid no process has here: the first a killed seeding's (no lock), the second one
    // of another container on the same DATA_DIR, alive there (its lock held and fresh).
    const dead = path.join(demo, 'run-2147483646-abc');
    const live = path.join(demo, 'run-2147483645-def');
    for (const dir of [dead, live]) fs.mkdirSync(dir, { recursive: true });
    const release = await lockfile.lock(live, { realpath: false });
    try {
      const mine = await demoRunFolder(dataDir);
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
      expect(fs.existsSync(mine.dir)).toBe(true);
      await mine.remove();
    } finally {
      await release();
    }
  });
});
