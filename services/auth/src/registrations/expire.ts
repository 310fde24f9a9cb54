import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { claimExpiredRegistrations, deleteAccounts } from './registration-store.js';

/** How long a sign-up may stay unverified before it is removed (Mastodon's week). */
export const REGISTRATION_TTL_MS = 7 * 24 * 60 * 60_000;

/** The sweep runs as the service, outside any request. */
const SWEEP_META = { ip: '', userAgent: '', requestId: 'registration-expiry' };

export interface ExpireRegistrationsOptions {
  /** Age after which an unverified sign-up is removed (default 7 days). */
  olderThanMs?: number;
  /** Accounts removed per transaction (default 100). */
  batch?: number;
}

/**
 * Removes sign-ups whose address was never verified within `olderThanMs`, so nobody holds a
 * username or an address with an account they never confirmed. Each batch is one transaction:
 * the accounts are claimed (see claimExpiredRegistrations), deleted, and for each one an
 * `auth.registration_expired` event (the user service drops the profile) and an audit entry
 * are written. Returns how many accounts were removed.
 */
export async function expireRegistrations(
  app: AuthApp,
  { olderThanMs = REGISTRATION_TTL_MS, batch = 100 }: ExpireRegistrationsOptions = {},
): Promise<number> {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError('batch must be ≥ 1');
  let removed = 0;
  for (;;) {
    const now = app.clock();
    const cutoff = new Date(now.getTime() - olderThanMs);
    const count = await app.database.transaction(async (trx) => {
      const expired = await claimExpiredRegistrations(trx, cutoff, batch);
      await deleteAccounts(
        trx,
        expired.map((r) => r.id),
      );
      for (const registration of expired) {
        await app.emit(trx, null, {
          case: 'authRegistrationExpired',
          value: { userId: registration.id, username: registration.username },
        });
        await audit(
          trx,
          { accountId: registration.id, meta: SWEEP_META, now },
          'registration_expired',
          { username: registration.username },
        );
      }
      return expired.length;
    });
    removed += count;
    // A short batch means nothing claimable is left (or another replica holds the rest).
    if (count < batch) return removed;
  }
}
