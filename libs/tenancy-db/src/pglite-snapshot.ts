import { createHash } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

let snapshot: Promise<Blob> | undefined;

/** The cache file is keyed by the installed PGlite build, so an upgrade never loads a stale cluster. */
async function cacheFile(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const { mtimeMs, size } = await stat(entry);
  const key = createHash('sha256').update(`${entry}:${mtimeMs}:${size}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `finops-pglite-fresh-${key}.tar`);
}

async function takeSnapshot(): Promise<Blob> {
  const file = await cacheFile();
  try {
    return new Blob([await readFile(file)]);
  } catch {
    // No cached snapshot yet: initialise a cluster once and keep it for the next process.
  }
  const template = await PGlite.create();
  try {
    const blob = await template.dumpDataDir('none');
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await blob.arrayBuffer()));
    await rename(tmp, file);
    return blob;
  } finally {
    await template.close();
  }
}

/**
 * initdb dominates an in-memory start (3–5 s here); loading a snapshot of a freshly initialised,
 * empty cluster takes about a third of that. The snapshot is taken before any schema exists, so every
 * in-memory instance still starts empty; it is kept per process and in the temp folder across processes
 * (test files run in separate processes).
 */
export function freshClusterSnapshot(): Promise<Blob> {
  snapshot ??= takeSnapshot();
  snapshot.catch(() => {
    snapshot = undefined;
  });
  return snapshot;
}
