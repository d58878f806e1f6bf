import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SERVER_NODE_FLAGS } from '../bench/bench-support.js';

const root = new URL('..', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The built server (`npm start`'s command) on a fresh DATA_DIR, sent `signal` once its log says
 * the embedded warehouse is open (the local encryption key is made right after), with a grace that
 * outlasts the start: its exit, its log and the files left in DATA_DIR.
 */
async function signalDuringStart(signal: 'SIGTERM' | 'SIGINT') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-start-signal-'));
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, 'dist/apps/api/src/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      // A first start's PGlite initdb and migrations outlast Cloud Run's 10 s on a loaded machine.
      SHUTDOWN_GRACE_MS: '600000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let signalled = false;
  const collect = (chunk: Buffer) => {
    log += chunk.toString();
    if (!signalled && log.includes('Created the local encryption key')) {
      signalled = true;
      child.kill(signal);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  const left = fs.readdirSync(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { code, exitSignal, log, left, signalled };
}

describe('a signal while the server starts', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s closes the engines once open, never listens, and exits 0 saying so',
    async (signal) => {
      const run = await signalDuringStart(signal);
      expect(run.signalled).toBe(true);
      expect({ code: run.code, signal: run.exitSignal }).toEqual({ code: 0, signal: null });
      expect(run.log).toContain(`${signal} during start-up: not serving`);
      expect(run.log).not.toContain('Server listening');
      // Closed, not killed: the PGlite folder's lock is removed and DuckDB checkpointed its log.
      expect(run.left).not.toContain('pglite.lock');
      expect(run.left).not.toContain('warehouse.duckdb.wal');
    },
    180_000,
  );
});
