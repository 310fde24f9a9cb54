import { GenericContainer, Wait } from 'testcontainers';
import type { StartedService } from './provide-services.js';
import type { ServiceName } from './services.js';

// Loaded only when a Docker engine answers and a service's variable is unset (global-setup.ts
// imports it lazily): testcontainers costs over a second to import. Versions match CI's
// (Postgres 15, Redis 7, NATS 2.9 with JetStream).
const images: Record<ServiceName, () => GenericContainer> = {
  postgres: () =>
    new GenericContainer('postgres:15-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
      .withExposedPorts(5432)
      // initdb's temporary server says it once, the real one a second time.
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)),
  redis: () =>
    new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)),
  nats: () =>
    new GenericContainer('nats:2.9-alpine')
      .withCommand(['nats-server', '-js'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/)),
};

const port: Record<ServiceName, number> = { postgres: 5432, redis: 6379, nats: 4222 };
const url: Record<ServiceName, (host: string, port: number) => string> = {
  postgres: (host, p) => `postgres://postgres@${host}:${p}/test`,
  redis: (host, p) => `redis://${host}:${p}`,
  nats: (host, p) => `nats://${host}:${p}`,
};

export async function startContainer(name: ServiceName): Promise<StartedService> {
  const container = await images[name]().start();
  return {
    url: url[name](container.getHost(), container.getMappedPort(port[name])),
    stop: async () => {
      await container.stop();
    },
  };
}
