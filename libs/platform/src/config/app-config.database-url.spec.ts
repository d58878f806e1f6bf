import path from 'node:path';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

const problemsOf = (env: Record<string, string>) =>
  configProblems({ CA_ROOT_API_KEY: 'k'.repeat(32), TENANCY_DB_DRIVER: 'postgres', ...env });

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
    const missing = path.join(tmpDataDir(), 'ca.pem');
    const problems = problemsOf({
      DATABASE_URL: `postgres://u:p@db.example/app?sslmode=require&sslrootcert=${missing}`,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL must be a postgres:\/\/ URL/);
    expect(problems[0]).toContain(`ENOENT: no such file or directory, open '${missing}'`);
  });
});
