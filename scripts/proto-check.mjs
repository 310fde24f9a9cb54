#!/usr/bin/env node
// Contract checks, fully offline (`pnpm proto:check`):
//   1. buf lint (STANDARD on proto/; vendored protos excluded in buf.yaml)
//   2. buf generate into a temp dir and compare with the committed gen/ (drift check)
//   3. buf breaking (FILE) against branch main, when main has a commit with proto/
// Exits non-zero on the first failing step.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  ...process.env,
  PATH: [join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter),
};

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', ...opts });
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
    for (const file of committed.keys()) if (!fresh.has(file)) problems.push(`stale: gen/${file}`);
    if (problems.length === 0) return null;
    return `${problems.join('\n')}\nRun \`pnpm proto:gen\` (and delete stale files), then commit gen/.`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

function breakingBaseline() {
  if (!existsSync(join(root, '.git'))) return 'no .git directory';
  const head = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'main^{commit}'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (head.error) return 'git is not installed';
  if (head.status !== 0) return 'branch main has no commit yet';
  const git = spawnSync('git', ['ls-tree', '-d', '--name-only', 'main', 'proto'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (git.stdout.trim() !== 'proto') return 'branch main has no proto/ yet';
  return null;
}

const skipReason = breakingBaseline();
if (skipReason) {
  console.log(`proto:check breaking … skipped (${skipReason})`);
} else {
  step('breaking (FILE) against main', () => {
    const res = run('buf', ['breaking', 'proto', '--against', '.git#branch=main,subdir=proto']);
    return res.status === 0 ? null : res.stdout + res.stderr;
  });
}
