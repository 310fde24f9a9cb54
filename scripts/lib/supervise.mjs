// Runs child processes as one unit that one Ctrl-C stops cleanly. Each child gets a process
// group of its own, so the terminal's SIGINT (sent to the whole foreground group) reaches only
// this parent; the parent then sends every child exactly one SIGTERM and waits for all of them
// to drain. A child that sees two signals treats the second as "exit now" and skips its drain.
import { spawn } from 'node:child_process';

/**
 * Starts `commands` ({ name, args, env }) under process.execPath and supervises them: the first
 * SIGINT/SIGTERM (or a child failing) stops them all; a second signal kills what is left.
 * Resolves with the children's exit codes once every child has exited; sets process.exitCode
 * to 0 only when all of them exited 0.
 */
export function superviseAll(commands, { log = console.log } = {}) {
  const children = commands.map(({ name, args, env }) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit', detached: true });
    return {
      name,
      child,
      exit: new Promise((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      ),
    };
  });
  let stopping = false;
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    log('stopping: every service drains (up to SHUTDOWN_GRACE); a second Ctrl-C kills them');
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  const killAll = () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  const onSignal = () => (stopping ? killAll() : stopAll());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (const { child } of children) child.once('exit', (code) => code !== 0 && stopAll());
  return Promise.all(
    children.map(async ({ name, exit }) => {
      const { code, signal } = await exit;
      log(`${name.padEnd(10)} exited ${signal ?? code}`);
      return { name, code, signal };
    }),
  ).then((results) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
    return results;
  });
}
