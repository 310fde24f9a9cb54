import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'vitest';
import { pathToFileURL } from 'node:url';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const signals = pathToFileURL(path.join(repoRoot, 'packages/runtime/src/signals.ts')).href;
const supervise = pathToFileURL(path.join(repoRoot, 'scripts/lib/supervise.mjs')).href;

/** A service stand-in with the real signal handling of every Kith process; its drain takes 300 ms. */
const serviceCode = `
import { stopOnSignals } from ${JSON.stringify(signals)};
const log = { info: (_o, msg) => console.log(process.env.NAME, msg), error: (_o, msg) => console.log(process.env.NAME, msg) };
setInterval(() => undefined, 1000);
stopOnSignals(() => new Promise((resolve) => setTimeout(() => { console.log(process.env.NAME, 'drained'); resolve(); }, 300)), log);
console.log(process.env.NAME, 'ready');
`;

const parentCode = `
import { superviseAll } from ${JSON.stringify(supervise)};
const names = ['auth', 'user', 'gateway'];
await superviseAll(names.map((name) => ({
  name,
  args: ['--import', 'tsx', '--input-type=module', '-e', process.env.SERVICE_CODE],
  env: { ...process.env, NAME: name },
})));
`;

test('one Ctrl-C on the supervisor drains every service once and everything exits 0', async () => {
  // Its own process group, like a job in the terminal's foreground: Ctrl-C signals the group.
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentCode], {
    cwd: repoRoot,
    env: { ...process.env, SERVICE_CODE: serviceCode },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let output = '';
  const ready = new Promise<void>((resolve) => {
    parent.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if ((output.match(/ ready$/gm) ?? []).length === 3) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => parent.once('exit', resolve));
  await ready;
  process.kill(-(parent.pid as number), 'SIGINT');
  const code = await exited;

  const lines = output.split('\n');
  assert.deepEqual(
    lines.filter((l) => / (shutting down|second signal: exiting now|drained)$/.test(l)).sort(),
    [
      'auth drained',
      'auth shutting down',
      'gateway drained',
      'gateway shutting down',
      'user drained',
      'user shutting down',
    ],
  );
  for (const name of ['auth', 'user', 'gateway']) {
    assert.ok(
      lines.some((l) => new RegExp(`^${name} +exited 0$`).test(l)),
      output,
    );
  }
  assert.equal(code, 0);
});
