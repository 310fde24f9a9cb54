// Distributed mode on one machine: migrates every service, then starts each as its own process
// (ports 8081…8087) over DATABASE_URL, NATS_URL and REDIS_URL. Ctrl-C stops them all.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

const services = ['auth', 'user', 'post', 'circle', 'support', 'moderation', 'gateway'];
const basePort = Number(process.env.KITH_BASE_PORT ?? 8081);
const env = {
  ...process.env,
  KITH_MODE: 'distributed',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  PAGE_TOKEN_SECRET: process.env.PAGE_TOKEN_SECRET ?? crypto.randomBytes(32).toString('base64url'),
  AUTH_JWKS_URL: process.env.AUTH_JWKS_URL ?? `http://127.0.0.1:${basePort}/.well-known/jwks.json`,
};
const tsx = ['--import', 'tsx'];

for (const name of services) {
  const r = spawnSync(process.execPath, [...tsx, `services/${name}/src/main.ts`, 'migrate'], {
    env,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const children = services.map((name, i) => {
  const port = basePort + i;
  const child = spawn(process.execPath, [...tsx, `services/${name}/src/main.ts`, 'serve'], {
    env: { ...env, PORT: String(port) },
    stdio: 'inherit',
  });
  console.log(`${name.padEnd(10)} http://127.0.0.1:${port}`);
  return child;
});

let stopping = false;
const stopAll = () => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
for (const child of children) child.on('exit', (code) => code && stopAll());
