import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrationChecksum, readMigrations, REWRITTEN_MIGRATIONS } from './migrations.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

describe('reading migration files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-read-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists only .sql files, in name order', async () => {
    await writeFile(path.join(dir, '0002_b.sql'), 'SELECT 2;');
    await writeFile(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    await writeFile(path.join(dir, 'README.md'), '#');
    expect((await readMigrations(dir)).map((f) => f.name)).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  it('gives a CRLF checkout the same checksum as LF, and any edit a different one', () => {
    expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(migrationChecksum('SELECT 1;\nSELECT 2;\n'));
    expect(migrationChecksum('SELECT 1; ')).not.toBe(migrationChecksum('SELECT 1;'));
  });

  it('fails with MigrationFailed when the folder is missing', async () => {
    await expect(readMigrations(path.join(dir, 'absent'))).rejects.toMatchObject({
      code: TenancyDbErrorCode.MigrationFailed,
    });
  });
});

/**
 * The text each file had when it landed on main. A database that ran it refuses any other text at
 * its next start, so a file is never changed once here: 0004, 0007, 0011, 0012 and 0015 were
 * rewritten in place, and each rewrite left the databases of the builds before it unable to
 * upgrade (REWRITTEN_MIGRATIONS now accepts those texts). A new file is added here as it lands on
 * main; a change after that belongs in a new file.
 */
const SHIPPED: Readonly<Record<string, string>> = {
  '0001_organizations.sql': '28b02d75461ad5f83163a3b4d1130d98b7bb9ae57153e047d5162643a9c44f16',
  '0002_idempotency_keys.sql': '6a4f2ab2d49e075cba95bd5ccb61cbbc185601871b920a8e9ffbd2910ff5f28c',
  '0003_members_profiles.sql': 'a724a150b423b286de6326283bd2e1adf149a837baeee2279280a9c793c4ff9e',
  '0004_pipeline_quota.sql': '1c8659d3f2ca5528e3d530690bf4471afb8198da72b13c41397a03075f9d6aa0',
  '0005_org_leases.sql': '1bde2e141a0051fc925c26f91e1ed1145f53043573f749df4791565aec3bce54',
  '0006_cost_imports.sql': 'c6c688bc594ad28803381d96e9dee6508ab66cf797e6a886e806efbcf2f39249',
  '0007_quota_replay_and_day_completion.sql':
    '5f16852703b83c7862f1cc593a599349792294101f0bae4772d89bf5eb318713',
  '0008_zero_limit_is_unset.sql': 'fc0833e2da4579c1f08eb2f0a1886d9b889feaf507b8ac279465301ebd9dcd7e',
  '0009_api_only_privileges.sql': 'f621a4bef85df1e5c4ab5b44341a035662d6588b6ab4a89585b30153681a56df',
  '0010_live_reservation_run_ids.sql': '30db4c755dd0ccd90d68acae1edf1e9f530d70047cddc8bf017e41d3a4aaed90',
  '0011_idempotency_claim_renewal.sql': '32e577fc86ee1243beb8e935f1314a5ff0af243e979aa405b54f122ae21076e4',
  '0012_quota_period_report.sql': 'bb551aa799a0b42a1378d4345489a6bb674f26e114cf39078b09289e18630c99',
  '0013_idempotency_claim_token.sql': '01d82049934babbfb6a14ea45e6ff8c3f38305af697d2d362f9afd9e5e4eea74',
  '0014_reserve_fewer_reads.sql': '39f90525ec9b57c15d835640137e97c662f73065a0694bb2adb0669d3cf58cb7',
  '0015_org_write_leases.sql': 'e0dbe895faed07a3a9a93140de001ef005b41b1c7f581c7c03dcd77abf29615f',
  '0016_prune_expired_write_leases.sql': '0e002dc278233601ddc401e4778c41d1c031cb5a2aa1d3a5d23ec5a982a2f0fd',
  '0017_claim_org_lease_as_0005.sql': 'e3f348108aae36a71baf691918ca3e4db9053ce7003edde78e26a96dfe3d6ae7',
  '0018_grant_tables_to_service_role.sql': 'b4c7089bbd2b0ffa0a3e7bfbad99cba50bbe8167483b5390135e6dd5fa96221f',
  '0019_concurrent_retry_after_past_lowered_limit.sql':
    '08ffb70abdf6e87bc90d0493235a3f3e5a6a2463ea3ffc4a04d3904be128d85f',
  '0020_live_reservations_by_org.sql': 'b07c485766fec4b949ac9dd0baa3d14006e76bd5c9f7a52f93767fcd014093e5',
  '0021_readmit_expired_run_on_later_day_as_new.sql':
    '5fbf205a33ad3eb0c68a8384bb0c0f552040323726c624de229d26f8c3488f53',
  '0022_reserve_says_readmitted.sql': 'cd11de20658202a145b0e9a5762c5250ab70e22b0bc339da023680f0be3bfa8a',
  '0023_replay_granted_run.sql': 'bf74b9e494d119f7731d5c80e022ebb24d58498c067287bfe99be05a6f99f6dd',
};

describe('shipped migration files', () => {
  it('keep the text they were shipped with, and every file is listed', async () => {
    const files = await readMigrations();
    expect(Object.fromEntries(files.map((f) => [f.name, f.checksum]))).toEqual(SHIPPED);
  });

  it('accept earlier texts only of files that exist', async () => {
    const names = new Set((await readMigrations()).map((f) => f.name));
    expect(Object.keys(REWRITTEN_MIGRATIONS).filter((n) => !names.has(n))).toEqual([]);
  });
});
