// Distributed mode on one machine: migrates every service, then starts each as its own process
// (ports 8081…8087) over DATABASE_URL, NATS_URL and REDIS_URL. One Ctrl-C drains them all.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { superviseAll } from './lib/supervise.mjs';

const services = ['auth', 'user', 'post', 'circle', 'support', 'moderation', 'gateway'];
const basePort = Number(process.env.KITH_BASE_PORT ?? 8081);

// One taken port would end one child in a stack trace while the rest run: check all first.
const free = (port) =>
  new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, process.env.HOST ?? '127.0.0.1', () => probe.close(() => resolve(true)));
  });
for (let port = basePort; port < basePort + services.length; port++) {
  if (!(await free(port))) {
    console.error(
      `kith: port ${port} is already in use; set KITH_BASE_PORT to the first of ${services.length} free ports (e.g. KITH_BASE_PORT=18081)`,
    );
    process.exit(1);
  }
}

// Secrets generated once and kept under .data/, so a restart can still open what it sealed
// (signing keys, TOTP secrets) and honour page tokens it issued.
const secretsFile = path.join(process.env.KITH_DATA_DIR ?? '.data', 'distributed-secrets.json');
let secrets = {};
try {
  secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8'));
} catch {
  secrets = {
    PAGE_TOKEN_SECRET: crypto.randomBytes(32).toString('base64url'),
    AUTH_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
    USER_EXPORT_LINK_SECRET: crypto.randomBytes(32).toString('base64'),
    POST_MEDIA_URL_SECRET: crypto.randomBytes(32).toString('base64'),
  };
}
// Keys the emergency contacts' address hashes and opt-out links: a new one would forget every
// opt-out, so a secrets file from before support had it gains it once and keeps it.
if (!secrets.SUPPORT_CONTACT_SECRET) {
  secrets.SUPPORT_CONTACT_SECRET = crypto.randomBytes(32).toString('base64');
  fs.mkdirSync(path.dirname(secretsFile), { recursive: true });
  fs.writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
}
const env = {
  ...process.env,
  KITH_MODE: 'distributed',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  PAGE_TOKEN_SECRET: process.env.PAGE_TOKEN_SECRET ?? secrets.PAGE_TOKEN_SECRET,
  AUTH_KEY_ENCRYPTION_KEY: process.env.AUTH_KEY_ENCRYPTION_KEY ?? secrets.AUTH_KEY_ENCRYPTION_KEY,
  // Secrets files from before the user service signed export links lack it: a fresh one then.
  USER_EXPORT_LINK_SECRET:
    process.env.USER_EXPORT_LINK_SECRET ??
    secrets.USER_EXPORT_LINK_SECRET ??
    crypto.randomBytes(32).toString('base64'),
  // Signs the local media store's upload and download links (unless POST_MEDIA_S3_BUCKET is set).
  POST_MEDIA_URL_SECRET:
    process.env.POST_MEDIA_URL_SECRET ??
    secrets.POST_MEDIA_URL_SECRET ??
    crypto.randomBytes(32).toString('base64'),
  SUPPORT_CONTACT_SECRET: process.env.SUPPORT_CONTACT_SECRET ?? secrets.SUPPORT_CONTACT_SECRET,
  // Without SMTP_URL, auth writes mail as .eml files under .data/mail on a laptop.
  AUTH_MAIL_TO_FILES: process.env.SMTP_URL ? 'false' : 'true',
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

const commands = services.map((name, i) => {
  const port = basePort + i;
  console.log(`${name.padEnd(10)} http://127.0.0.1:${port}`);
  return {
    name,
    args: [...tsx, `services/${name}/src/main.ts`, 'serve'],
    env: { ...env, PORT: String(port) },
  };
});
// One Ctrl-C: every service gets one SIGTERM, drains, and this waits for all of them.
await superviseAll(commands);
