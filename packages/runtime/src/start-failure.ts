/**
 * A process whose port is taken should say so in one line, naming the variable to change,
 * and exit 1 — not end in a stack trace. Other start failures are left to the caller.
 */
export function exitIfPortInUse(err: unknown, variable = 'PORT'): void {
  const listen = err as (NodeJS.ErrnoException & { port?: number; address?: string }) | undefined;
  if (listen?.code !== 'EADDRINUSE') return;
  process.stderr.write(
    `kith: port ${listen.port} on ${listen.address} is already in use; set ${variable} to a free port (e.g. ${variable}=18080)\n`,
  );
  process.exit(1);
}
