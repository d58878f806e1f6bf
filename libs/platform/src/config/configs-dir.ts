import path from 'node:path';

/** Where configs/ lives: `CONFIGS_DIR`, else `configs/` under the working directory (repo root or /app). */
export function configsDir(): string {
  return process.env.CONFIGS_DIR ?? path.resolve(process.cwd(), 'configs');
}
