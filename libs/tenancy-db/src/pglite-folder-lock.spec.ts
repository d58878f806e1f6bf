import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockPgliteFolder } from './pglite-folder-lock.js';

const STALE_MS = 2_000; // proper-lockfile's least: refreshed every second

describe('the PGlite folder lock', () => {
  let dir: string;
  let folder: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-folder-lock-'));
    folder = path.join(dir, 'pglite');
    await mkdir(folder);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is taken again when lost while held, so that a second process is still refused', async () => {
    const lost: string[] = [];
    const release = await lockPgliteFolder(folder, {
      staleMs: STALE_MS,
      onLost: (error) => lost.push(error.message),
    });
    try {
      // As a process that found it stale (this one frozen for a while) took it over and let it go.
      await rm(`${folder}.lock`, { recursive: true });
      await new Promise((resolve) => setTimeout(resolve, 2 * STALE_MS));

      expect(lost).toHaveLength(1);
      expect(existsSync(`${folder}.lock`)).toBe(true);
      await expect(lockPgliteFolder(folder, { staleMs: STALE_MS })).rejects.toThrow(
        /is in use by another process/,
      );
    } finally {
      await release();
    }
    expect(existsSync(`${folder}.lock`)).toBe(false);
  }, 30_000);
});
