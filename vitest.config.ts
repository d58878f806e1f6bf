import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// `source` makes the package.json `#lib` imports resolve to TypeScript sources in tests, while the
// built app resolves them to dist/ through `default`. No `import`/`module` conditions: Vitest passes
// these to Node, and CommonJS packages (helmet, big.js) must keep loading their CommonJS builds.
const conditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    globals: true,
    globalSetup: ['./test/global-setup.ts'],
    setupFiles: ['./test/setup.ts'],
    include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each worker imports the app once for all the files it runs rather than once per file: the
    // imports (Nest, DuckDB, Polars, PGlite) took 335 of 670 s on a slow 2-core VM. No test mocks
    // a module; each file starts and closes its own apps, and module-level state is read-only
    // catalogs and caches keyed by what they cache.
    isolate: false,
    // Vitest's default is one worker less than the CPUs: one on a 2-core CI machine, where the
    // suite spends about half its time waiting (PostgreSQL, Redis, timers, local servers).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    env: { METADATA_SERVER_DETECTION: 'none', NODE_ENV: 'test' },
  },
});
