import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, test } from 'vitest';

// The gate runs against a scratch repository holding Kith's real contracts, the way CI runs it
// on a clean clone: the baseline image frozen in one commit, later commits on top.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const gate = path.join(repoRoot, 'scripts/proto-check.mjs');
const buf = path.join(repoRoot, 'node_modules/.bin/buf');
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const LIKE = 'proto/kith/post/v1/engagement.proto';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

function commitAll(dir: string, message: string): void {
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', message);
}

/** A repository with the contracts of this checkout and a baseline frozen from them. */
function frozenRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kith-gate-'));
  scratch.push(dir);
  for (const p of ['proto', 'proto-vendor', 'buf.yaml']) {
    cpSync(path.join(repoRoot, p), path.join(dir, p), { recursive: true });
  }
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'contracts');
  mkdirSync(path.join(dir, 'proto-baseline'));
  execFileSync(
    buf,
    ['build', 'proto', '--exclude-source-info', '-o', 'proto-baseline/contracts-v1.binpb'],
    {
      cwd: dir,
    },
  );
  commitAll(dir, 'freeze contracts-v1');
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const full = path.join(dir, file);
  const before = readFileSync(full, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit changed nothing in ${file}`);
  writeFileSync(full, after);
}

function runGate(dir: string): { status: number | null; output: string } {
  const res = spawnSync(process.execPath, [gate, '--breaking-only', '--root', dir], {
    encoding: 'utf8',
  });
  return { status: res.status, output: res.stdout + res.stderr };
}

const widenLikeCount = (text: string) =>
  text.replace('uint32 like_count = 1;', 'uint64 like_count = 1;');

test('the frozen contracts pass, and an additive commit passes', () => {
  const dir = frozenRepo();
  assert.equal(runGate(dir).status, 0, runGate(dir).output);
  edit(dir, LIKE, (t) =>
    t.replace('uint32 like_count = 1;', 'uint32 like_count = 1;\n  uint32 extra_count = 2;'),
  );
  commitAll(dir, 'add a field');
  const res = runGate(dir);
  assert.equal(res.status, 0, res.output);
  assert.match(res.output, /commit by commit \(1 since the baseline\) … ok/);
});

test('a committed breaking change fails the gate against the baseline', () => {
  const dir = frozenRepo();
  edit(dir, LIKE, widenLikeCount);
  commitAll(dir, 'widen like_count');
  const res = runGate(dir);
  assert.notEqual(res.status, 0, res.output);
  assert.match(res.output, /breaking against the baseline contracts-v1 … FAILED/);
  assert.match(res.output, /changed type from "uint32" to "uint64"/);
});

test('a break of something added after the baseline fails commit by commit', () => {
  const dir = frozenRepo();
  edit(dir, LIKE, (t) =>
    t.replace('uint32 like_count = 1;', 'uint32 like_count = 1;\n  uint32 extra_count = 2;'),
  );
  commitAll(dir, 'add a field');
  edit(dir, LIKE, (t) => t.replace('\n  uint32 extra_count = 2;', ''));
  commitAll(dir, 'drop the new field');
  const res = runGate(dir);
  assert.notEqual(res.status, 0, res.output);
  assert.match(res.output, /breaking against the baseline contracts-v1 … ok/);
  assert.match(
    res.output,
    /commit [0-9a-f]+ drop the new field breaks the contracts of its parent/,
  );
});

test('an uncommitted break fails against HEAD before it is committed', () => {
  const dir = frozenRepo();
  edit(dir, LIKE, (t) =>
    t.replace('uint32 like_count = 1;', 'uint32 like_count = 1;\n  uint32 extra_count = 2;'),
  );
  commitAll(dir, 'add a field');
  edit(dir, LIKE, (t) => t.replace('\n  uint32 extra_count = 2;', ''));
  const res = runGate(dir);
  assert.notEqual(res.status, 0, res.output);
  assert.match(res.output, /breaking uncommitted changes against HEAD … FAILED/);
  assert.match(res.output, /extra_count/);
});
