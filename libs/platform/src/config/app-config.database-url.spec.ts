import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigValidationError, loadAppConfig } from './app-config.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
const problemsOf = (env: Record<string, string>) => {
  try {
    loadAppConfig({
      DATA_DIR: tmp(),
      CA_ROOT_API_KEY: 'k'.repeat(32),
      TENANCY_DB_DRIVER: 'postgres',
      ...env,
    });
    return [];
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
};

describe('DATABASE_URL that node-postgres cannot read', () => {
  const refusal = 'DATABASE_URL must be a postgres:// URL (required when TENANCY_DB_DRIVER=postgres)';

  it('names DATABASE_URL for a port out of range or not a number, without printing the password', () => {
    for (const url of ['postgres://u:s3cret@db.example:99999/app', 'postgres://u:s3cret@db.example:pg/app']) {
      const problems = problemsOf({ DATABASE_URL: url });
      expect(problems).toEqual([`${refusal}: Invalid URL`]);
      expect(problems.join('\n')).not.toContain('s3cret');
    }
  });

  it('names DATABASE_URL and the file when an ssl file it names cannot be read', () => {
    const missing = path.join(tmp(), 'ca.pem');
    const problems = problemsOf({
      DATABASE_URL: `postgres://u:p@db.example/app?sslmode=require&sslrootcert=${missing}`,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL must be a postgres:\/\/ URL/);
    expect(problems[0]).toContain(`ENOENT: no such file or directory, open '${missing}'`);
  });
});
