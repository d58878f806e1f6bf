import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * A folder of its own for one seeding's files, under `$DATA_DIR/demo`: two seedings at once (an
 * app start with DEMO_DATA and `npm run demo` on other engines, or a second call while the first
 * still runs) each removed the one shared folder under the other's files. The folders a killed
 * process left (its pid gone) are removed first.
 */
export async function demoRunFolder(dataDir: string): Promise<string> {
  const parent = path.join(dataDir, 'demo');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  for (const name of await readdir(parent)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
  }
  return mkdtemp(path.join(parent, `run-${process.pid}-`));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
