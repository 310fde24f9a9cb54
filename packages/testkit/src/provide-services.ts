import { serviceEnvVar } from './services.js';
import type { ServiceName } from './services.js';

/** A service running for the length of the test run. */
export interface StartedService {
  url: string;
  stop(): Promise<void>;
}

export interface ProvideServicesOptions {
  /** Read for the services' variables, and given the URLs of the services started. */
  env: NodeJS.ProcessEnv;
  /** Whether a Docker engine answers; asked once, and only when a variable is unset. */
  dockerAnswers: () => Promise<boolean>;
  startContainer: (name: ServiceName) => Promise<StartedService>;
  warn?: (message: string) => void;
}

const services: ServiceName[] = ['postgres', 'redis', 'nats'];

/**
 * Decides where the test run's Postgres, Redis and NATS come from. A service whose variable is
 * set is used as it is. When some are unset and a Docker engine answers, each missing one is
 * started in a container and its variable set; when none answers — or a container fails to
 * start — the variable stays unset, so `requireService` skips with a reason (fails under CI).
 * Returns what stops the containers started.
 */
export async function provideServices(options: ProvideServicesOptions) {
  const { env, warn = console.warn } = options;
  const missing = services.filter((name) => !env[serviceEnvVar[name]]);
  const started: StartedService[] = [];
  if (missing.length > 0 && (await options.dockerAnswers())) {
    for (const name of missing) {
      try {
        const service = await options.startContainer(name);
        started.push(service);
        env[serviceEnvVar[name]] = service.url;
      } catch (err) {
        warn(`[testkit] Docker answered but ${name} did not start: ${String(err)}`);
      }
    }
  }
  return {
    started: started.length,
    stop: async () => {
      await Promise.all(started.map((service) => service.stop()));
    },
  };
}
