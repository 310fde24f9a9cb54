// `pnpm test`: the whole check (lint, format, types, contracts), then every test file with vitest.
// `pnpm test -- <filter…>`: only the test files whose path contains a filter, and no check (the
// loop while working on something); vitest flags pass through (`pnpm test -- --project auth`).
// `pnpm test:watch [-- <filter…>]` and `pnpm test:coverage [-- <filter…>]` never run the check.
// `node scripts/test.mjs <filter…>` is the same as `pnpm test -- <filter…>`.
import { spawnSync } from 'node:child_process';

// pnpm passes `--` through, and vitest would read what follows it as no filter at all.
const argv = process.argv.slice(2).filter((arg) => arg !== '--');
const modes = { '--watch': ['watch'], '--coverage': ['run', '--coverage'] };
const mode = argv[0] in modes ? argv.shift() : undefined;
const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;

if (mode === undefined && argv.length === 0) {
  const status = run('pnpm', ['run', 'check']);
  if (status !== 0) process.exit(status);
}
process.exit(run('pnpm', ['exec', 'vitest', ...(modes[mode] ?? ['run']), ...argv]));
