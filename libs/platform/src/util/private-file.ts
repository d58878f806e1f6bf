import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Creates `file` with `text`, readable by its owner only (0600, its folder 0700 when created),
 * unless it exists already: returns false then, and leaves it as it is.
 *
 * The text is written and synced to a private temp file beside it, which is then hard-linked to
 * the final name: link() fails with EEXIST instead of replacing, so two processes starting at once
 * never overwrite each other's file, and, unlike `wx` on the final name, a process killed (or a
 * disk filling up) in the middle never leaves an empty or half-written file under that name for
 * the next start to trip over. For the secrets a process generates on its first start.
 */
export function publishPrivateFile(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const fd = fs.openSync(temp, 'wx', 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
