// Start-up time of embedded Kith, as a user meets it: from launching the start command to
// `/readyz` answering 200. Cold: an empty data directory each run; warm: a data directory an
// earlier run left behind. Prints the figures, the goals and how busy the machine was.
//   pnpm bench:start [-- --runs 5] [-- --command "node_modules/.bin/tsx services/embedded/src/main.ts"]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    // Anything else to compare against (e.g. the TypeScript sources through tsx).
    command: { type: 'string', default: `${process.execPath} scripts/start.mjs` },
  },
});
const runs = Number(values.runs);
const [command = process.execPath, ...args] = values.command.split(' ');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

interface Run {
  /** Wall-clock milliseconds from spawn to the first 200 from /readyz. */
  ms: number;
  /** CPU milliseconds (user + system) the process had used by then: what a busy machine hides. */
  cpuMs: number | undefined;
}

/** Linux only: utime + stime from /proc, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function cpuMsOf(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** One start, stopped with SIGTERM once ready. */
async function startOnce(dataDir: string): Promise<Run> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command, args, {
    env: { ...process.env, PORT: String(port), KITH_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  while (!(await ready(`http://127.0.0.1:${port}/readyz`))) {
    if (early !== undefined) throw new Error(`start command exited with ${early} before ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - started;
  const cpuMs = cpuMsOf(child.pid);
  child.kill('SIGTERM');
  await exited;
  return { ms, cpuMs };
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const median = (figures: number[]) =>
  [...figures].sort((a, b) => a - b)[(figures.length - 1) >> 1]!;

function summary(label: string, runs: Run[], goalMs: number): string {
  const wall = runs.map((r) => r.ms);
  const cpu = runs.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs]));
  return (
    `${label.padEnd(5)} wall median ${s(median(wall))} s (min ${s(Math.min(...wall))}, max ${s(Math.max(...wall))};` +
    ` goal ≤ ${s(goalMs)} s: ${median(wall) <= goalMs ? 'met' : 'missed'})` +
    (cpu.length ? `  cpu median ${s(median(cpu))} s` : '') +
    `  runs: ${wall.map(s).join(', ')}`
  );
}

const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
console.log(
  `Node ${process.version}, ${os.cpus().length} cores, load average ${load()} (1/5/15 min)`,
);
console.log(`command: ${values.command}`);

// The build is done once per code change (`pnpm start` rebuilds when sources are newer).
if (values.command.includes('scripts/start.mjs')) {
  const t = performance.now();
  const build = spawnSync(process.execPath, ['scripts/start.mjs', '--build-only'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  console.log(
    `build check (rebuilds only when stale): ${((performance.now() - t) / 1000).toFixed(2)} s`,
  );
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-start-'));
try {
  const cold: Run[] = [];
  const warm: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = path.join(root, `run-${i}`);
    cold.push(await startOnce(dataDir));
    warm.push(await startOnce(dataDir));
  }
  console.log(summary('cold', cold, 5000));
  console.log(summary('warm', warm, 2000));
  console.log(`load average after: ${load()}`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
