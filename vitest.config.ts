import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packageSource = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, so no build is needed between edits.
    alias: {
      '@ja4guard/core': packageSource('core'),
      '@ja4guard/guard': packageSource('guard'),
      '@ja4guard/fastify': packageSource('fastify'),
      '@ja4guard/express': packageSource('express'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Socket and Redis tests bind ports and share one Redis, so files run one at a time.
    fileParallelism: false,
    typecheck: {
      enabled: false,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
