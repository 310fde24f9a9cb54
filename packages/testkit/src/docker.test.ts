import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { dockerAnswers, dockerEndpoint } from './docker.js';

// A stand-in Docker engine: a real HTTP server on a unix socket (or a port) that answers
// `/_ping` the way dockerd does, or with an error.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-docker-'));
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fakeEngine(listenOn: string | number, status = 200, body = 'OK') {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/_ping' ? status : 404).end(req.url === '/_ping' ? body : '');
  });
  servers.push(server);
  await new Promise<void>((resolve) =>
    typeof listenOn === 'number'
      ? server.listen(listenOn, '127.0.0.1', resolve)
      : server.listen(listenOn, resolve),
  );
  return server;
}

describe('the Docker probe', () => {
  test('DOCKER_HOST names the engine; unset means the default socket; ssh:// is not probed', () => {
    assert.deepEqual(dockerEndpoint({}), { socketPath: '/var/run/docker.sock' });
    assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), {
      socketPath: '/run/user/1000/docker.sock',
    });
    assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376' }), {
      host: '10.0.0.5',
      port: 2376,
    });
    assert.equal(dockerEndpoint({ DOCKER_HOST: 'ssh://me@host' }), undefined);
  });

  test('an engine that answers OK on its unix socket answers', async () => {
    const socket = path.join(dir, 'docker.sock');
    await fakeEngine(socket);
    assert.equal(await dockerAnswers({ DOCKER_HOST: `unix://${socket}` }), true);
  });

  test('an engine on a TCP port answers', async () => {
    const server = await fakeEngine(0);
    const { port } = server.address() as { port: number };
    assert.equal(await dockerAnswers({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }), true);
  });

  test('no socket, a socket that errors, or one that never answers: no engine', async () => {
    assert.equal(
      await dockerAnswers({ DOCKER_HOST: `unix://${path.join(dir, 'absent.sock')}` }),
      false,
    );
    const failing = path.join(dir, 'failing.sock');
    await fakeEngine(failing, 500, 'daemon is shutting down');
    assert.equal(await dockerAnswers({ DOCKER_HOST: `unix://${failing}` }), false);

    const silent = path.join(dir, 'silent.sock');
    const server = http.createServer(() => {}); // accepts, never answers
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(silent, resolve));
    const started = Date.now();
    assert.equal(await dockerAnswers({ DOCKER_HOST: `unix://${silent}` }, 200), false);
    assert.ok(Date.now() - started < 5_000);
  });
});
