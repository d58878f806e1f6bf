import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { loadAppConfig } from '#platform';
import { until } from '#test/waiting';
import { costImportOptions } from './cost-import.options.js';
import { ImportFolders } from './import-folders.js';

const STALE_MS = 2_000; // proper-lockfile's least: refreshed every second

describe('upload folders', () => {
  let dataDir: string;
  let imports: string;
  const started: ImportFolders[] = [];

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-import-folders-'));
    imports = path.join(dataDir, 'imports');
    fs.mkdirSync(imports);
  });
  afterEach(async () => {
    for (const folders of started.splice(0)) {
      folders.onModuleDestroy();
      await folders.onApplicationShutdown();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const options = costImportOptions(loadAppConfig({ DATA_DIR: dataDir }));
    const folders = new ImportFolders({ ...options, folderLockStaleMs: STALE_MS });
    started.push(folders);
    await folders.onModuleInit();
    return folders;
  };
  /** A folder with an upload in it, as a process leaves it. */
  const leftBehind = (name: string) => {
    const folder = path.join(imports, name);
    fs.mkdirSync(path.join(folder, 'import-abc'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'import-abc', 'upload'), 'FOCUS rows');
    return folder;
  };
  const agedBy = (file: string, ms: number) => {
    const then = new Date(Date.now() - ms);
    fs.utimesSync(file, then, then);
  };

  it('removes, at start, what a killed process left: its folder without a live lock, a stale lock too', async () => {
    const unlocked = leftBehind('instance-dead');
    const stale = leftBehind('instance-stale');
    fs.mkdirSync(`${stale}.lock`);
    agedBy(`${stale}.lock`, STALE_MS + 5_000);
    await start();
    expect(fs.existsSync(unlocked)).toBe(false);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(`${stale}.lock`)).toBe(false);
  });

  it("removes a process's folder once the lock it left is stale, when it started while that lock looked alive (a quick restart after a kill)", async () => {
    const killed = leftBehind('instance-killed');
    fs.mkdirSync(`${killed}.lock`); // fresh: killed just now, its lock not stale yet
    await start();
    expect(fs.existsSync(path.join(killed, 'import-abc', 'upload'))).toBe(true);
    // Looked at again STALE_MS + 1 s after the start; a loaded machine may take longer to get there.
    // The sweep removes the folder, then its lock (so no other sweep takes it for unlocked meanwhile).
    await until(() => !fs.existsSync(killed) && !fs.existsSync(`${killed}.lock`), STALE_MS + 10_000, 50);
    expect(fs.existsSync(killed)).toBe(false);
    expect(fs.existsSync(`${killed}.lock`)).toBe(false);
  });

  it("looks again once only at a folder whose lock stays alive (a shared DATA_DIR's other server), not every few seconds", async () => {
    const live = path.join(imports, 'instance-live');
    const release = await lockfile.lock(live, { realpath: false, stale: STALE_MS });
    try {
      fs.mkdirSync(path.join(live, 'import-abc'), { recursive: true });
      const folders = new ImportFolders({
        ...costImportOptions(loadAppConfig({ DATA_DIR: dataDir })),
        folderLockStaleMs: STALE_MS,
      });
      started.push(folders);
      const sweeps = vi.spyOn(folders, 'sweep');
      await folders.onModuleInit();
      // The look again comes STALE_MS + 1 s after the start; another would come as long after it.
      await until(() => sweeps.mock.calls.length === 2, STALE_MS + 10_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 2 * (STALE_MS + 1_000)));
      expect(sweeps).toHaveBeenCalledTimes(2);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      await release();
    }
  });

  it("never touches the folder of a process that holds its lock (a shared DATA_DIR's other server)", async () => {
    const live = path.join(imports, 'instance-live');
    const release = await lockfile.lock(live, { realpath: false, stale: STALE_MS });
    try {
      fs.mkdirSync(path.join(live, 'import-abc'), { recursive: true });
      const folders = await start();
      expect(await folders.sweep()).toBe(0);
      expect(fs.readdirSync(live)).toEqual(['import-abc']);
    } finally {
      await release();
    }
  });

  it('removes upload folders of earlier releases once a day old, not before', async () => {
    const old = path.join(imports, 'import-old');
    const recent = path.join(imports, 'import-recent');
    fs.mkdirSync(old);
    fs.mkdirSync(recent);
    agedBy(old, 25 * 3_600_000);
    await start();
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(recent)).toBe(true);
  });

  it("makes uploads' folders inside its own, which another instance's sweep leaves, and removes it at shutdown", async () => {
    const first = await start();
    const upload = await first.create();
    const second = await start();
    expect(await second.sweep()).toBe(0);
    expect(fs.existsSync(upload)).toBe(true);
    const own = path.dirname(upload);
    expect(path.basename(own)).toMatch(/^instance-/);
    first.onModuleDestroy();
    await first.onApplicationShutdown();
    expect(fs.existsSync(own)).toBe(false);
    expect(fs.existsSync(`${own}.lock`)).toBe(false);
  });

  it('takes its lock again when it was lost, so that the others never sweep its uploads', async () => {
    const folders = await start();
    const upload = await folders.create();
    const own = path.dirname(upload);
    fs.rmSync(`${own}.lock`, { recursive: true }); // as a sweep that found it stale would
    await new Promise((resolve) => setTimeout(resolve, 2 * STALE_MS));
    expect(fs.existsSync(`${own}.lock`)).toBe(true);
    const other = await start();
    expect(await other.sweep()).toBe(0);
    expect(fs.existsSync(upload)).toBe(true);
  });
});
