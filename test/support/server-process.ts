import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnWithSources } from './source-child.js';

/** A port free on loopback now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServerProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  log: string;
  /** The names left in DATA_DIR once it exited. */
  left: string[];
}

/** Which entry point runs, with which arguments: the server's main.ts by default. */
export interface EntryPoint {
  /** From the repository's root. */
  file: string;
  args?: string[];
}

/**
 * Runs the server's entry point (main.ts, from the sources: no build needed), or another (`entry`,
 * the demo's), in a process of its own on a fresh DATA_DIR until it exits; `onLine` sees its output
 * as it comes (and may signal it). The DATA_DIR is removed after.
 */
export async function runServerProcess(
  env: Record<string, string>,
  onLine: (log: string, child: { kill(signal: NodeJS.Signals): unknown }) => void = () => undefined,
  entry: EntryPoint = { file: 'apps/api/src/main.ts' },
): Promise<ServerProcessRun> {
  const dataDir = fs.mkdtempSync(
    path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), 'finops-server-process-'),
  );
  // What parseArgs reads of an `-e` script: process.argv past the executable.
  const args = `process.argv.push(...${JSON.stringify(entry.args ?? [])});`;
  const child = spawnWithSources(`${args}\nawait load(${JSON.stringify(entry.file)});`, {
    ...process.env,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    ...env,
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log += chunk.toString();
    onLine(log, child);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  const left = fs.readdirSync(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { code, signal, log, left };
}
