import { defineConfig } from 'vitest/config';

// `source` makes the package.json `#lib` imports resolve to TypeScript sources in tests,
// while the built app resolves them to dist/ through the `default` condition.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] } },
  test: {
    globals: true,
    include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { METADATA_SERVER_DETECTION: 'none', NODE_ENV: 'test' },
    reporters: ['default'],
  },
});
