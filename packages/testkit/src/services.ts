import net from 'node:net';

/** Infrastructure a test can ask for. Each is found through its environment variable. */
export type ServiceName = 'postgres' | 'redis' | 'nats';

/** The environment variable that names each service. */
export const serviceEnvVar: Record<ServiceName, string> = {
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
 * Finds a service from the environment. When the variable was unset and a Docker engine
 * answered, the test run's global setup (`global-setup.ts`) has already started a container
 * and set it; otherwise a service that is not configured or not reachable comes with a reason.
 */
export async function findService(
  name: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServiceLookup> {
  const variable = serviceEnvVar[name];
  const url = env[variable];
  if (!url) return { reason: `${variable} is not set and no Docker container was started for it` };
  if (!(await reachable(url, defaultPort[name]))) {
    return { reason: `${name} at ${variable} is not reachable` };
  }
  return { url };
}

/**
 * Resolves the URL of a required service for a test file. When it is missing the caller gets
 * `undefined` and a printed skip reason — unless CI=true or KITH_REQUIRE_SERVICES=1, where a
 * missing service throws so the run fails loudly.
 */
export async function requireService(
  name: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const found = await findService(name, env);
  if (found.url) return found.url;
  const message = `${name} unavailable: ${found.reason}`;
  if (servicesRequired(env))
    throw new Error(`${message} (required because CI=true or KITH_REQUIRE_SERVICES=1)`);
  console.warn(`[testkit] skipping: ${message}`);
  return undefined;
}
