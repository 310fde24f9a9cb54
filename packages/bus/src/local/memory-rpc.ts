import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { errorMessage } from '../delivery.js';
import { BusNoRespondersError, BusRemoteError, BusTimeoutError } from '../errors.js';
import { subjectMatches } from '../subjects.js';
import type { Bus, LiveMessage, Request } from '../types.js';

interface Server {
  filter: string;
  queue: string;
  handler: (req: Request) => Promise<Uint8Array>;
  inFlight: Set<Promise<unknown>>;
}

/**
 * Request/reply and live fan-out inside one process. Neither needs durability, so plain
 * in-memory dispatch gives the same behaviour as core NATS: a queue group picks one server
 * (round robin), live messages reach every matching subscriber, asynchronously.
 */
export function createMemoryRpc(logger: Logger, defaultTimeoutMs: number) {
  const servers = new Set<Server>();
  const live = new Set<{ filter: string; callback: (msg: LiveMessage) => void }>();
  let turn = 0;

  const request: Bus['request'] = async (subject, data, options) => {
    const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
    const candidates = [...servers].filter((s) => subjectMatches(s.filter, subject));
    if (candidates.length === 0) throw new BusNoRespondersError(subject);
    const server = candidates[turn++ % candidates.length] as Server;
    const headers = { ...options?.headers };
    propagation.inject(context.active(), headers);
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const work = context.with(parent, () =>
      server.handler({ subject, data: data.slice(), headers }),
    );
    server.inFlight.add(work);
    void work.finally(() => server.inFlight.delete(work)).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusTimeoutError(subject, timeoutMs)), timeoutMs);
    });
    try {
      return (await Promise.race([work, timeout])).slice();
    } catch (err) {
      if (err instanceof BusTimeoutError) throw err;
      logger.warn({ subject, err: errorMessage(err) }, 'serve handler failed');
      throw new BusRemoteError(subject, errorMessage(err));
    } finally {
      clearTimeout(timer);
    }
  };

  const serve: Bus['serve'] = async (subject, handler, options) => {
    const server: Server = {
      filter: subject,
      queue: options?.queue ?? 'kith',
      handler,
      inFlight: new Set(),
    };
    servers.add(server);
    return {
      async stop() {
        servers.delete(server);
        await Promise.allSettled([...server.inFlight]);
      },
    };
  };

  const publishLive: Bus['publishLive'] = (subject, data) => {
    for (const sub of live) {
      if (!subjectMatches(sub.filter, subject)) continue;
      const copy = data.slice();
      setImmediate(() => {
        if (!live.has(sub)) return;
        try {
          sub.callback({ subject, data: copy });
        } catch (err) {
          logger.error({ subject, err: errorMessage(err) }, 'live callback threw');
        }
      });
    }
  };

  const subscribeLive: Bus['subscribeLive'] = (subject, callback) => {
    const sub = { filter: subject, callback };
    live.add(sub);
    return { unsubscribe: () => void live.delete(sub) };
  };

  async function close(): Promise<void> {
    live.clear();
    const all = [...servers];
    servers.clear();
    await Promise.allSettled(all.flatMap((s) => [...s.inFlight]));
  }

  return { request, serve, publishLive, subscribeLive, close };
}
