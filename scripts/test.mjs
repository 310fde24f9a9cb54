// `pnpm test`: the whole check (lint, format, types, contracts), then every test file with vitest.
// `pnpm test -- <filter…>`: only the test files whose path contains a filter, and no check (the
// loop while working on something); any vitest flag passes through (`-- --project auth`).
// `pnpm test:watch [-- <filter…>]` and `pnpm test:coverage [-- <filter…>]` never run the check.
import { spawnSync } from 'node:child_process';

const [mode, ...rest] = process.argv.slice(2);
const modes = { '--run': ['run'], '--watch': ['watch'], '--coverage': ['run', '--coverage'] };
if (!(mode in modes)) {
  console.error(`usage: node scripts/test.mjs ${Object.keys(modes).join('|')} [-- args]`);
  process.exit(2);
}
// pnpm passes `--` through; vitest would read what follows it as no filter at all.
const args = rest.filter((arg) => arg !== '--');
const run = (command, commandArgs) =>
  spawnSync(command, commandArgs, { stdio: 'inherit' }).status ?? 1;

if (mode === '--run' && args.length === 0) {
  const status = run('pnpm', ['run', 'check']);
  if (status !== 0) process.exit(status);
}
process.exit(run('pnpm', ['exec', 'vitest', ...modes[mode], ...args]));
