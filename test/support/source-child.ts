import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

const root = new URL('../../', import.meta.url);

/**
 * Starts `body`, an ES module body, in a separate Node process, for what only a second process can
 * show (file locks are per process). There `await load('libs/…/x.ts')` imports this repository's
 * TypeScript through Vite's module runner with the `source` condition, as Vitest does; `env` is the
 * child's environment (this process's by default).
 */
export function spawnWithSources(
  body: string,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcessByStdio<null, Readable, Readable> {
  const prologue = `
    import { createServer, createServerModuleRunner } from 'vite';
    const conditions = ['source', 'node', 'development|production'];
    const server = await createServer({
      configFile: false, root: process.cwd(), logLevel: 'silent',
      server: { middlewareMode: true, hmr: false, ws: false },
      resolve: { conditions }, ssr: { resolve: { conditions } },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
    const load = (file) => runner.import(new URL(file, ${JSON.stringify(root.href)}).pathname);
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', `${prologue}\n${body}`], {
    cwd: root.pathname,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The child's first stdout line, or its exit (with stderr) when it ends before writing one. */
export function firstLine(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`the child exited with ${code} before a line: ${err}`)));
  });
}
