import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { createLocalJWKSet, exportJWK } from 'jose';
import type { JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';
import type { Database } from '@kith/db';
import type { SealedBox } from '../crypto/sealed-box.js';
import { isAuthenticKeyRow } from './authentic-keys.js';
import {
  activateSigningKey,
  allSigningKeys,
  deleteRetiredSigningKeys,
  insertSigningKey,
  lockKeyMaintenance,
  retireSigningKey,
} from './signing-key-store.js';
import type { AuthDatabase, SigningKeyTable } from '../db/schema.js';

export type SigningAlg = 'EdDSA' | 'ES256';

export interface SigningKeyPolicy {
  alg: SigningAlg;
  /** How long a key signs before the next one takes over. */
  rotateEveryMs: number;
  /** How long the next key is published before it signs (longer than any JWKS cache). */
  publishLeadMs: number;
  /** How long a retired key stays published: the longest access token lifetime plus skew. */
  retireAfterMs: number;
}

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: crypto.KeyObject;
}

export interface SigningKeyStore {
  /** Creates the first keys, rotates when due and drops keys no token can still need. */
  maintain(): Promise<void>;
  /**
   * The key that signs now, from memory: it never queries, because minting runs inside the
   * session transaction (a query on `database.db` there takes a second pool connection on
   * Postgres and fails with SessionLockError on PGlite). `maintain()` loads it at start and on
   * every maintenance run.
   */
  current(): Promise<ActiveSigningKey>;
  /** Every published public key (next, current, retired), as a JWK Set. */
  jwks(): Promise<JSONWebKeySet>;
  /** Verification keys for this process, refreshed when an unknown `kid` shows up. */
  verificationKeys: JWTVerifyGetKey;
}

const SEAL_PURPOSE = 'auth.signing_keys.private_key';
/** Rotation runs under this transaction-scoped advisory lock, so replicas never race. */
const LOCK_KEY = 'kith.auth.signing_keys';
/** Verification and JWKS re-read the keys at most this often (and on an unknown kid). */
const RELOAD_MS = 30_000;

function generate(alg: SigningAlg) {
  return alg === 'EdDSA'
    ? crypto.generateKeyPairSync('ed25519')
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function newKeyRow(
  alg: SigningAlg,
  box: SealedBox,
  state: SigningKeyTable['state'],
  now: Date,
): Promise<SigningKeyTable> {
  const { publicKey, privateKey } = generate(alg);
  const kid = crypto.randomBytes(12).toString('base64url');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    kid,
    alg,
    public_jwk: jwk,
    private_key_enc: box.seal(pem, SEAL_PURPOSE),
    state,
    created_at: now,
    activated_at: state === 'current' ? now : null,
    retired_at: null,
  };
}

/**
 * Access-token signing keys, stored with the private half sealed. A key is published as `next`
 * well before it signs and stays published as `retired` until every token it signed has expired,
 * so verifiers with cached key sets never see an unknown or vanished key (no-downtime rotation).
 */
export function createSigningKeyStore(options: {
  database: Database<AuthDatabase>;
  box: SealedBox;
  policy: SigningKeyPolicy;
  clock: () => Date;
}): SigningKeyStore {
  const { database, box, policy, clock } = options;
  let loaded: { at: number; rows: SigningKeyTable[] } | undefined;
  let active: ActiveSigningKey | undefined;

  async function load(force = false): Promise<SigningKeyTable[]> {
    const now = clock().getTime();
    if (!force && loaded && now - loaded.at < RELOAD_MS) return loaded.rows;
    const stored = await allSigningKeys(database.db);
    // A row the KEK does not vouch for is never published nor trusted (see authentic-keys.ts).
    const rows = stored.filter((row) => isAuthenticKeyRow(row, box, SEAL_PURPOSE));
    loaded = { at: now, rows };
    const current = rows.find((r) => r.state === 'current');
    if (current && active?.kid !== current.kid) {
      active = {
        kid: current.kid,
        alg: current.alg,
        privateKey: crypto.createPrivateKey(box.open(current.private_key_enc, SEAL_PURPOSE)),
      };
    }
    return rows;
  }

  async function maintainIn(trx: Kysely<AuthDatabase>): Promise<void> {
    await lockKeyMaintenance(trx, LOCK_KEY);
    const now = clock();
    const rows = await allSigningKeys(trx);
    let current = rows.find((r) => r.state === 'current');
    let next = rows.find((r) => r.state === 'next');
    if (!current) {
      current = await newKeyRow(policy.alg, box, 'current', now);
      await insertSigningKey(trx, current);
    }
    const due =
      current.activated_at !== null &&
      now.getTime() - current.activated_at.getTime() >= policy.rotateEveryMs;
    const nextReady =
      next !== undefined && now.getTime() - next.created_at.getTime() >= policy.publishLeadMs;
    if (due && next && nextReady) {
      await retireSigningKey(trx, current.kid, now);
      await activateSigningKey(trx, next.kid, now);
      next = undefined;
    }
    if (!next) {
      await insertSigningKey(trx, await newKeyRow(policy.alg, box, 'next', now));
    }
    await deleteRetiredSigningKeys(trx, new Date(now.getTime() - policy.retireAfterMs));
  }

  let jwkSet: { rows: SigningKeyTable[]; verify: JWTVerifyGetKey } | undefined;
  let lastForcedReload = 0;
  const verificationKeys: JWTVerifyGetKey = async (header, token) => {
    let rows = await load();
    if (
      header.kid &&
      !rows.some((r) => r.kid === header.kid) &&
      Date.now() - lastForcedReload > 1_000
    ) {
      lastForcedReload = Date.now();
      rows = await load(true);
    }
    if (jwkSet?.rows !== rows) {
      jwkSet = { rows, verify: createLocalJWKSet({ keys: rows.map((r) => r.public_jwk as JWK) }) };
    }
    return jwkSet.verify(header, token);
  };

  return {
    async maintain() {
      await database.transaction((trx) => maintainIn(trx));
      await load(true);
    },
    async current() {
      if (!active) throw new Error('no signing key loaded: maintain() must run before minting');
      return active;
    },
    async jwks() {
      const rows = await load();
      return { keys: rows.map((r) => r.public_jwk as JWK) };
    },
    verificationKeys,
  };
}
