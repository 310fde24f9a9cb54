import http from 'node:http';

/** Where a Docker engine's API listens: a unix socket, or a host and port (plain HTTP). */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * The engine `DOCKER_HOST` names (`unix:///path` or `tcp://host:port`), else the default
 * socket. Undefined for anything else (ssh://, npipe://): testcontainers is then left unused.
 */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint | undefined {
  const dockerHost = env.DOCKER_HOST;
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return undefined;
}

/** True when a Docker engine answers `GET /_ping` with `OK` within the timeout. */
export function dockerAnswers(env: NodeJS.ProcessEnv = process.env, timeoutMs = 1000) {
  const endpoint = dockerEndpoint(env);
  if (!endpoint) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const request = http.get({ ...endpoint, path: '/_ping', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && body.trim() === 'OK'));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
