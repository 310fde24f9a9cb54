import net from 'node:net';

/** Infrastructure a test can ask for. Each is found through its environment variable. */
export type ServiceName = 'postgres' | 'redis' | 'nats';

const envVar: Record<ServiceName, string> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  nats: 'NATS_URL',
};

const defaultPort: Record<ServiceName, number> = { postgres: 5432, redis: 6379, nats: 4222 };

/** True when a missing service must fail the run instead of skipping (CI). */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.KITH_REQUIRE_SERVICES === '1';
}

function reachable(url: string, fallbackPort: number): Promise<boolean> {
  let host = '127.0.0.1';
  let port = fallbackPort;
  try {
    const parsed = new URL(url);
    host = parsed.hostname || host;
    port = parsed.port ? Number(parsed.port) : fallbackPort;
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface ServiceLookup {
  url?: string;
  /** Why the service is unavailable; set when url is not. */
  reason?: string;
}

/**
 * Finds a service from the environment. Docker (testcontainers) is not available on these
 * machines, so a service that is not configured or not reachable is reported with a reason.
 */
export async function findService(name: ServiceName): Promise<ServiceLookup> {
  const url = process.env[envVar[name]];
  if (!url) return { reason: `${envVar[name]} is not set and no container runtime is available` };
  if (!(await reachable(url, defaultPort[name]))) {
    return { reason: `${name} at ${envVar[name]} is not reachable` };
  }
  return { url };
}

/**
 * Resolves the URL of a required service for a test file. When it is missing the caller gets
 * `undefined` and a printed skip reason — unless CI=true or KITH_REQUIRE_SERVICES=1, where a
 * missing service throws so the run fails loudly.
 */
export async function requireService(name: ServiceName): Promise<string | undefined> {
  const found = await findService(name);
  if (found.url) return found.url;
  const message = `${name} unavailable: ${found.reason}`;
  if (servicesRequired())
    throw new Error(`${message} (required because CI=true or KITH_REQUIRE_SERVICES=1)`);
  console.warn(`[testkit] skipping: ${message}`);
  return undefined;
}
