// The breaking-change gate of `pnpm proto:check`.
//
// A check against "branch main" compares main with itself once a change is committed, so it
// never fires. Instead (docs/contracts.md, "Breaking changes"):
//   - baseline: the working tree against the frozen image proto-baseline/contracts-v1.binpb
//     (committed, so it works in any clone, shallow or not, with or without tags);
//   - history: every commit that touched proto/ after the baseline was frozen, against its
//     parent, so a field added after the baseline and removed later is caught as well;
//   - working tree: uncommitted proto/ changes against HEAD.
// Each side is built from a snapshot of proto/, proto-vendor/ and buf.yaml (git archive), so
// the module layout and imports are exactly those of the commit being checked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASELINE = 'proto-baseline/contracts-v1.binpb';
const SNAPSHOT_PATHS = ['proto', 'proto-vendor', 'buf.yaml'];

function spawn(cmd, args, opts) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (res.error) throw res.error;
  return res;
}

function git(root, args) {
  return spawn('git', args, { cwd: root });
}

/** Full shas (oldest first) of the first-parent commits after `since` that touched proto/. */
function protoCommitsSince(root, since) {
  const res = git(root, [
    'rev-list',
    '--reverse',
    '--first-parent',
    `${since}..HEAD`,
    '--',
    'proto',
  ]);
  if (res.status !== 0) return null;
  return res.stdout.split('\n').filter(Boolean);
}

/** Extracts the contract files of a commit into a fresh directory. */
function snapshot(root, commit) {
  const dir = mkdtempSync(join(tmpdir(), `kith-proto-${commit.slice(0, 8)}-`));
  const present = SNAPSHOT_PATHS.filter(
    (p) => git(root, ['cat-file', '-e', `${commit}:${p}`]).status === 0,
  );
  const archive = spawnSync('git', ['archive', '--format=tar', commit, ...present], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  return dir;
}

/** `buf breaking` of the module proto/ in `dir` against an image or another snapshot dir. */
function breaking(dir, against, env) {
  let image = against;
  let tmp;
  if (!against.endsWith('.binpb')) {
    if (!existsSync(join(against, 'proto'))) return null; // the parent had no contracts yet
    tmp = mkdtempSync(join(tmpdir(), 'kith-proto-image-'));
    image = join(tmp, 'against.binpb');
    const build = spawn('buf', ['build', 'proto', '--exclude-source-info', '-o', image], {
      cwd: against,
      env,
    });
    if (build.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      return `buf build failed for the older side:\n${build.stdout}${build.stderr}`;
    }
  }
  try {
    const res = spawn('buf', ['breaking', 'proto', '--against', image], { cwd: dir, env });
    return res.status === 0 ? null : res.stdout + res.stderr;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function withSnapshots(root, commits, fn) {
  const dirs = commits.map((c) => snapshot(root, c));
  try {
    return fn(...dirs);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The checks, each `{ name, skipped }` or `{ name, run(): problem | null }`. */
export function breakingChecks(root, env) {
  const checks = [];
  const baselineImage = join(root, BASELINE);
  if (!existsSync(baselineImage)) {
    checks.push({ name: 'against the baseline', skipped: `no ${BASELINE} yet` });
  } else {
    checks.push({
      name: 'against the baseline contracts-v1',
      run: () => {
        const problem = breaking(root, baselineImage, env);
        return problem && `${problem}\nThe frozen contracts are ${BASELINE}: add, never change.`;
      },
    });
  }

  const isRepo = git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).status === 0;
  if (!isRepo) {
    checks.push({ name: 'commit by commit', skipped: 'not a git checkout with commits' });
    return checks;
  }

  // The commit that froze the baseline (the last one that wrote the image).
  const frozeAt = existsSync(baselineImage)
    ? git(root, ['log', '-1', '--format=%H', '--', BASELINE]).stdout.trim()
    : '';
  const commits = frozeAt ? protoCommitsSince(root, frozeAt) : [];
  if (!frozeAt) {
    checks.push({ name: 'commit by commit', skipped: 'nothing is frozen yet' });
  } else if (commits === null) {
    checks.push({
      name: 'commit by commit',
      skipped: 'history since the baseline not in this clone',
    });
  } else {
    checks.push({
      name: `commit by commit (${commits.length} since the baseline)`,
      run: () => {
        for (const commit of commits) {
          const parent = git(root, [
            'rev-parse',
            '--verify',
            '--quiet',
            `${commit}^`,
          ]).stdout.trim();
          if (!parent) continue;
          const problem = withSnapshots(root, [commit, parent], (mine, theirs) =>
            breaking(mine, theirs, env),
          );
          if (problem) {
            const subject = git(root, ['log', '-1', '--format=%h %s', commit]).stdout.trim();
            return `commit ${subject} breaks the contracts of its parent:\n${problem}`;
          }
        }
        return null;
      },
    });
  }

  const dirty = git(root, ['status', '--porcelain', '--', 'proto']).stdout.trim() !== '';
  if (!dirty) {
    checks.push({ name: 'uncommitted changes', skipped: 'proto/ has none' });
  } else {
    checks.push({
      name: 'uncommitted changes against HEAD',
      run: () => withSnapshots(root, ['HEAD'], (head) => breaking(root, head, env)),
    });
  }
  return checks;
}
