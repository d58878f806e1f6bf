import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/**
 * `.ci/run` with stand-ins first on PATH: `npm` answers `ci`, `run build` and `test` as told (the
 * test run writing the given Vitest JSON report), and PostgreSQL and Redis are said to be up, so
 * the script runs in a second without installing, building or testing anything for real.
 */
const bin = fs.mkdtempSync(path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), 'ci-run-'));
const stub = (name: string, body: string) =>
  fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
stub(
  'npm',
  `case "$1" in
  ci) exit 0 ;;
  run) [ "$2" = build ] && exit "$FAKE_BUILD_STATUS"; exit 0 ;;
  test)
    echo "db=\${TEST_DATABASE_URL:-} redis=\${TEST_REDIS_URL:-}"
    for arg in "$@"; do case "$arg" in --outputFile=*) printf '%s' "$FAKE_REPORT" > "\${arg#--outputFile=}" ;; esac; done
    exit "$FAKE_TEST_STATUS" ;;
esac
exit 2`,
);
stub('pg_isready', 'exit 0');
stub('redis-cli', 'echo PONG');
stub('psql', 'echo 1');
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

const report = (passed: number, failed: number) =>
  JSON.stringify({
    success: failed === 0,
    numPassedTests: passed,
    numFailedTests: failed,
    numFailedTestSuites: failed ? 1 : 0,
    numPendingTests: 0,
    numTodoTests: 0,
    testResults: [
      {
        status: failed ? 'failed' : 'passed',
        assertionResults: [
          ...Array.from({ length: passed }, () => ({ status: 'passed' })),
          ...Array.from({ length: failed }, () => ({ status: 'failed' })),
        ],
      },
    ],
  });

function ciRun(build: number, tests: number, json: string) {
  // What the script exports, not what this test run was given.
  const { TEST_DATABASE_URL: _db, TEST_REDIS_URL: _redis, ...env } = process.env;
  const run = spawnSync('bash', [`${root}.ci/run`], {
    encoding: 'utf8',
    env: {
      ...env,
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_BUILD_STATUS: String(build),
      FAKE_TEST_STATUS: String(tests),
      FAKE_REPORT: json,
    },
  });
  const lines = run.stdout.trim().split('\n');
  return { status: run.status, last: lines.at(-1), stdout: run.stdout };
}

describe('.ci/run', () => {
  it('passes the test databases to the tests and ends with the count when all is well', () => {
    const run = ciRun(0, 0, report(3, 0));
    expect(run.stdout).toContain('db=postgres://postgres@127.0.0.1:5432/test redis=redis://127.0.0.1:6379');
    expect({ status: run.status, last: run.last }).toEqual({ status: 0, last: '3 passed, 0 failed' });
  });

  it('fails with the tests, the failures counted', () => {
    const run = ciRun(0, 1, report(2, 1));
    expect({ status: run.status, last: run.last }).toEqual({ status: 1, last: '2 passed, 1 failed' });
  });

  it('fails when the build fails although every test passed, and its last line does not say 0 failed', () => {
    const run = ciRun(2, 0, report(3, 0));
    expect(run.status).toBe(1);
    expect(run.last).toBe('3 passed, 1 failed (npm run build failed)');
  });

  it('says when there is no report to count, and keeps the runner failure', () => {
    const run = ciRun(0, 1, '');
    expect(run.status).toBe(1);
    expect(run.last).toBe('no test summary: the Vitest JSON report could not be read (vitest exit code 1)');
  });
});
