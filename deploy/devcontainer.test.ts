import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import { parse } from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '..');
const devcontainer = JSON.parse(
  fs.readFileSync(path.join(repoRoot, '.devcontainer/devcontainer.json'), 'utf8'),
) as { remoteEnv: Record<string, string> };
const compose = parse(
  fs.readFileSync(path.join(repoRoot, '.devcontainer/docker-compose.yml'), 'utf8'),
) as { services: Record<string, unknown> };

/** The non-test TypeScript sources of every package and service. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
    }
  };
  for (const root of ['packages', 'services']) walk(path.join(repoRoot, root));
  return out.map((f) => fs.readFileSync(f, 'utf8'));
}

test('the devcontainer sets only variables the code reads', () => {
  const code = sources().join('\n');
  const unread = Object.keys(devcontainer.remoteEnv).filter(
    (key) => !new RegExp(`\\b${key}\\b`).test(code),
  );
  assert.deepEqual(unread, []);
});

test('the devcontainer starts only infrastructure its variables point at', () => {
  const urls = Object.values(devcontainer.remoteEnv).join(' ');
  const unused = Object.keys(compose.services).filter(
    (name) => name !== 'workspace' && !urls.includes(`@${name}:`) && !urls.includes(`//${name}:`),
  );
  assert.deepEqual(unused, []);
});
