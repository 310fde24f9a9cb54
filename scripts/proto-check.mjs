#!/usr/bin/env node
// Contract checks, fully offline (`pnpm proto:check`):
//   1. buf lint (STANDARD + COMMENT_SERVICE/COMMENT_RPC on proto/; vendored protos excluded)
//   2. buf generate into a temp dir and compare with the committed gen/ (drift check)
//   3. buf breaking (FILE), three ways (scripts/lib/proto-breaking.mjs):
//      - the working tree against the frozen baseline image proto-baseline/contracts-v1.binpb;
//      - every commit that touched proto/ since the baseline against its parent;
//      - uncommitted proto/ changes against HEAD.
// Exits non-zero on the first failing step.
//
//   node scripts/proto-check.mjs [--breaking-only] [--root DIR]
// --root checks another checkout (the gate's own test uses a scratch repository).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breakingChecks } from './lib/proto-breaking.mjs';

const toolRoot = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const rootArg = args.indexOf('--root');
const root = rootArg >= 0 ? resolve(args[rootArg + 1]) : toolRoot;
const breakingOnly = args.includes('--breaking-only');
const env = {
  ...process.env,
  PATH: [join(toolRoot, 'node_modules/.bin'), process.env.PATH].join(delimiter),
};

function run(cmd, cmdArgs, opts = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: root, env, encoding: 'utf8', ...opts });
  if (res.error) throw res.error;
  return res;
}

function step(name, fn) {
  process.stdout.write(`proto:check ${name} … `);
  const problem = fn();
  if (problem) {
    console.log('FAILED');
    console.error(problem);
    process.exit(1);
  }
  console.log('ok');
}

// Generated files only: gen/ also holds package.json and node_modules.
function generatedFiles(dir) {
  const out = new Map();
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('_pb.ts')) out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

if (!breakingOnly) {
  step('lint', () => {
    const res = run('buf', ['lint']);
    return res.status === 0 ? null : res.stdout + res.stderr;
  });

  step('generated code is up to date', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kith-proto-check-'));
    try {
      const res = run('buf', ['generate', '-o', tmp]);
      if (res.status !== 0) return res.stdout + res.stderr;
      const fresh = generatedFiles(join(tmp, 'gen'));
      const committed = generatedFiles(join(root, 'gen'));
      const problems = [];
      for (const [file, content] of fresh) {
        const old = committed.get(file);
        if (!old) problems.push(`missing: gen/${file}`);
        else if (!old.equals(content)) problems.push(`differs: gen/${file}`);
      }
      for (const file of committed.keys())
        if (!fresh.has(file)) problems.push(`stale: gen/${file}`);
      if (problems.length === 0) return null;
      return `${problems.join('\n')}\nRun \`pnpm proto:gen\` (and delete stale files), then commit gen/.`;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

for (const check of breakingChecks(root, env)) {
  if (check.skipped) console.log(`proto:check breaking ${check.name} … skipped (${check.skipped})`);
  else step(`breaking ${check.name}`, check.run);
}
