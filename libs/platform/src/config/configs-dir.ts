import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file every configs/ folder holds: how a folder is recognised as one. */
export const CONFIGS_MARKER = 'pipelines.yml';

/** CONFIGS_DIR as the validated configuration gave it (the environment or .env.local). */
let configured: string | undefined;

/** Called by loadAppConfig with the validated CONFIGS_DIR. */
export function useConfigsDir(dir: string | undefined): void {
  configured = dir === undefined ? undefined : path.resolve(dir);
}

/**
 * The `configs` folder of this installation: the nearest one above this module that holds
 * CONFIGS_MARKER (the repository's in a clone, /app/configs in the image), whatever the working
 * directory; `configs/` under the working directory when there is none.
 */
function installedConfigsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'configs');
    if (fs.existsSync(path.join(candidate, CONFIGS_MARKER))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(process.cwd(), 'configs');
    dir = parent;
  }
}

let installed: string | undefined;

/**
 * Where configs/ lives: CONFIGS_DIR when set, else the installation's own (see installedConfigsDir).
 * An empty CONFIGS_DIR is unset, as for every setting: taken as a path, it named the working directory.
 */
export function configsDir(): string {
  return configured ?? (process.env.CONFIGS_DIR || undefined) ?? (installed ??= installedConfigsDir());
}
