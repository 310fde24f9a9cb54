/**
 * Calls `stop` once on the first SIGTERM or SIGINT; a second signal exits at once. The process
 * exits with 0 when stop resolves, 1 when it throws.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.error({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
