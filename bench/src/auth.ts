// Auth costs side by side in one run: argon2id at OWASP parameters on its own, the Login RPC
// end to end (which that hash should dominate), and what every authenticated request pays to
// verify its access token (signature, claims, revocation lookup) or an API key (cached grant).
//   pnpm bench:auth [-- --duration 5 --concurrency 4]
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { createApiKeyAuthenticator, createRevocationCheck } from '@kith/authn';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { createMemoryCache, createRedisCache } from '@kith/cache';
import type { Cache } from '@kith/cache';
import { bearerAuthenticator, createJwtVerifier } from '@kith/interceptors';
import {
  OWASP_ARGON2ID,
  createPasswordHasher,
  seedUser,
  startAuthHarness,
} from '@kith/auth-service/testing';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
  },
});
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);

/** Runs `op` from `workers` loops for the duration; returns completed ops per second. */
async function throughput(workers: number, op: (worker: number, i: number) => Promise<unknown>) {
  const end = Date.now() + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; Date.now() < end; i++) {
        await op(worker, i);
        done++;
      }
    }),
  );
  return done / (durationMs / 1000);
}

/** Mean microseconds per call of a sequential loop. */
async function perCall(op: () => Promise<unknown>, iterations = 10_000) {
  for (let i = 0; i < 1000; i++) await op();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

const rows: [string, string][] = [];
const fmt = (n: number, digits = 1) => n.toFixed(digits);

// 1. argon2id alone.
const hasher = createPasswordHasher(OWASP_ARGON2ID);
const stored = await hasher.hash('correct horse battery staple');
const argonSeq = await throughput(1, () => hasher.verify(stored, 'correct horse battery staple'));
const argonPar = await throughput(concurrency, () =>
  hasher.verify(stored, 'correct horse battery staple'),
);
rows.push(['argon2id verify, 1 at a time (/s)', fmt(argonSeq)]);
rows.push([`argon2id verify, ${concurrency} in flight (/s)`, fmt(argonPar)]);

// 2. Login end to end (embedded auth, real hasher). Every call comes from its own address and
// presents its account's device credential (a known device: no new-device code, and only its
// own failed-login delay applies), so the throttles stay out of the measurement.
const h = await startAuthHarness({ realHasher: true, env: { TRUST_PROXY: 'true' } });
const accounts = await Promise.all(
  Array.from({ length: concurrency * 40 }, () => seedUser(h, { userAgent: 'seed' })),
);
const client = h.withHeaders({ 'user-agent': 'seed' }).auth;
let calls = 0;
let failures = 0;
const loginRate = await throughput(concurrency, async (w, i) => {
  const account = accounts[(w * 40 + (i % 40)) % accounts.length]!;
  const n = calls++;
  const res = await client.login(
    { identifier: account.email, password: account.password, deviceToken: account.deviceToken },
    { headers: { 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } },
  );
  if (res.result.case !== 'tokens') failures++;
});
rows.push([`Login RPC, ${concurrency} in flight (/s)`, fmt(loginRate)]);
rows.push(['Login / argon2id verify (same concurrency)', fmt(loginRate / argonPar, 2)]);
if (failures > 0) rows.push(['Login answers that were not tokens', String(failures)]);

// No enumeration by timing: a wrong password for an existing account against an account that
// does not exist, one at a time and interleaved (so drift in the machine's load hits both
// alike), medians of the same number of calls.
async function loginMs(identifier: string): Promise<number> {
  const ip = `10.200.${(calls >> 8) & 255}.${calls++ & 255}`;
  const start = process.hrtime.bigint();
  await client
    .login({ identifier, password: 'not the password' }, { headers: { 'x-forwarded-for': ip } })
    .catch(() => undefined);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const loginKnown: number[] = [];
const loginUnknown: number[] = [];
for (let i = 0; i < 60; i++) {
  loginKnown.push(await loginMs(accounts[i % accounts.length]!.email));
  loginUnknown.push(await loginMs(`nobody${i}-${crypto.randomUUID()}@example.com`));
}
const knownMs = median(loginKnown);
const unknownMs = median(loginUnknown);
rows.push(['Login, wrong password, existing account (median ms)', fmt(knownMs)]);
rows.push(['Login, unknown account (median ms)', fmt(unknownMs)]);
rows.push(['unknown / existing (timing ratio)', fmt(unknownMs / knownMs, 2)]);

// The same for RequestPasswordReset: a known address must not answer slower (its lookup, link
// and mail happen after the answer). Each call from its own address and to its own account,
// so the per-address mail limits stay out of it.
async function timedReset(email: string): Promise<number> {
  const ip = `10.201.${(calls >> 8) & 255}.${calls++ & 255}`;
  const start = process.hrtime.bigint();
  await client.requestPasswordReset({ email }, { headers: { 'x-forwarded-for': ip } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // The work after the answer is not part of it, and must not slow the next call.
  await h.app.afterAnswer.settled();
  return ms;
}
// Interleaved, after a warm-up of both paths, so neither side gets a colder process.
const resetKnown: number[] = [];
const resetUnknown: number[] = [];
for (let i = 0; i < 80; i++) {
  const known = await timedReset(accounts[(i + 60) % accounts.length]!.email);
  const unknown = await timedReset(`nobody${i}-${crypto.randomUUID()}@example.com`);
  if (i >= 20) {
    resetKnown.push(known);
    resetUnknown.push(unknown);
  }
}
const resetKnownMs = median(resetKnown);
const resetUnknownMs = median(resetUnknown);
rows.push(['RequestPasswordReset, known address (median ms)', fmt(resetKnownMs, 2)]);
rows.push(['RequestPasswordReset, unknown address (median ms)', fmt(resetUnknownMs, 2)]);
rows.push(['known / unknown reset (timing ratio)', fmt(resetKnownMs / resetUnknownMs, 2)]);

// 3. Per-request verification.
const token = accounts[0]!.accessToken;
const verify = createJwtVerifier({
  jwks: h.app.keys.verificationKeys,
  issuer: h.app.issuer,
  audience: h.app.audience,
  now: () => h.clock.now(),
});
const authenticate = bearerAuthenticator(verify);
const headers = new Headers({ authorization: `Bearer ${token}` });
const jwtUs = await perCall(() => authenticate(headers));
rows.push(['access token: signature + claims (µs)', fmt(jwtUs)]);

async function withRevocation(name: string, cache: Cache) {
  const isRevoked = createRevocationCheck(cache);
  const us = await perCall(async () => isRevoked((await authenticate(headers))!));
  rows.push([`access token + revocation lookup, ${name} (µs)`, fmt(us)]);
}
await withRevocation('memory cache', createMemoryCache({ maxEntries: 1000 }));
if (process.env.REDIS_URL) {
  const redis = createRedisCache({
    url: process.env.REDIS_URL,
    keyPrefix: `bench-${crypto.randomBytes(3).toString('hex')}`,
  });
  await redis.connect();
  await withRevocation('Redis', redis);
  await redis.close();
}

const { secret } = await h.as(accounts[0]!.accessToken).auth.createApiKey({
  name: 'bench',
  scopes: [ApiKeyScope.POSTS_READ],
  proof: { case: 'currentPassword', value: accounts[0]!.password },
});
const apiKeys = createApiKeyAuthenticator({
  cache: createMemoryCache({ maxEntries: 1000 }),
  bus: h.app.bus,
  keys: h.app.keys.verificationKeys,
});
const keyHeaders = new Headers({ 'x-api-key': secret });
const keyUs = await perCall(() => apiKeys(keyHeaders));
rows.push(['API key, cached grant (µs)', fmt(keyUs)]);
rows.push(['argon2id verify / access-token check (cost ratio)', fmt(1e6 / argonSeq / jwtUs, 0)]);
await h.stop();

const width = Math.max(...rows.map(([k]) => k.length));
console.log(
  `\nauth bench (${values.duration} s per throughput figure, concurrency ${concurrency})`,
);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
