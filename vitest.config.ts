import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';

// One vitest project per workspace folder, named after the folder (`--project auth`,
// `--project db`), so a package's or a service's tests run alone.
const root = import.meta.dirname;
const workspaceDirs = [
  ...['packages', 'services'].flatMap((parent) =>
    fs
      .readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`),
  ),
  'gen',
  'bench',
  'scripts',
  'deploy',
].filter((dir) => fs.existsSync(path.join(root, dir)));

const projects: TestProjectInlineConfiguration[] = workspaceDirs.map((dir) => ({
  extends: true,
  test: { name: path.basename(dir), root: path.join(root, dir) },
}));

// Two test files at a time by default (the machines have 2 cores), each in its own process.
const concurrency = Number(process.env.KITH_TEST_CONCURRENCY ?? 2);

export default defineConfig({
  test: {
    projects,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/.data/**'],
    // A child process per test file, as node:test ran them: module state, process listeners
    // and environment changes never leak from one file into the next.
    pool: 'forks',
    isolate: true,
    maxWorkers: concurrency,
    // Tests within a file run one after another; services boot in hooks.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // After-hooks and onTestFinished run in the order they were registered (as node:test did).
    sequence: { hooks: 'list' },
    // Postgres, Redis and NATS from DATABASE_URL, REDIS_URL and NATS_URL; where one is unset and
    // a Docker engine answers, testcontainers starts it once for the run.
    globalSetup: [path.join(root, 'packages/testkit/src/global-setup.ts')],
    reporters: ['default', './scripts/vitest/closing-line-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/dist/**'],
      reporter: ['text-summary', 'html'],
    },
  },
});
