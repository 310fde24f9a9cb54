import { dockerAnswers } from './docker.js';
import { provideServices } from './provide-services.js';

type Provided = ReturnType<typeof provideServices>;
// Every vitest project inherits this setup, and each may load its own copy of this module:
// the decision is made once per run, in the main process.
const once = Symbol.for('kith.testkit.provideServices');
const shared = globalThis as { [once]?: Provided };

/**
 * vitest global setup: with DATABASE_URL, REDIS_URL or NATS_URL unset and a Docker engine
 * answering, start the missing services in containers once for the whole run (test files run
 * in child processes that inherit the variables). testcontainers is imported only then.
 */
export default async function setup() {
  if (shared[once]) return undefined;
  shared[once] = provideServices({
    env: process.env,
    dockerAnswers: () => dockerAnswers(process.env),
    startContainer: async (name) => (await import('./containers.js')).startContainer(name),
  });
  return (await shared[once]).stop;
}
