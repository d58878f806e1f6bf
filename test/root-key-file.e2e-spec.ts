import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runServerProcess } from '#test/server-process';

/**
 * The development root key kept in DATA_DIR/root-api-key, edited by hand (a team's shared key
 * pasted with a second line, a non-ASCII character): a key the X-CA-Root-Key header cannot carry
 * matched no request (every admin call 401), and the server started saying the key was in that file.
 */
describe('a development root key file holding what no header can carry', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), 'finops-root-key-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    ['a second line', `ca_root_${'k'.repeat(40)}\nshared with the team\n`],
    ['a non-ASCII character', `ca_root_${'k'.repeat(20)}é${'k'.repeat(20)}\n`],
  ])(
    'with %s is refused at start, naming the file, before anything opens',
    async (_, content) => {
      const file = path.join(dataDir, 'root-api-key');
      fs.writeFileSync(file, content, { mode: 0o600 });
      let stopped = false;
      const run = await runServerProcess(
        { PORT: String(await freePort()), DATA_DIR: dataDir },
        (log, child) => {
          // Not left serving (every root request refused 401) should the start take it.
          if (stopped || !log.includes('Server listening')) return;
          stopped = true;
          child.kill('SIGTERM');
        },
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
      expect(run.log).toContain(
        `CA_ROOT_API_KEY: the development root key in ${file} must be printable ASCII without spaces or line breaks`,
      );
      expect(run.log).not.toContain('Server listening');
      expect(fs.readdirSync(dataDir)).toEqual(['root-api-key']);
    },
    180_000,
  );
});
