import type { MigrationSet } from '@kith/db';
import { mailMigrations } from '@kith/mail';
import { createAuthSchema } from './20261123T1800-auth.js';
import { addOidcStateConsent } from './20261123T2000-oidc-consent.js';

/** The auth service's own migrations, in order (platform tables come first). */
export const authMigrations: MigrationSet = {
  ...mailMigrations,
  '20261123T1800_auth': createAuthSchema,
  '20261123T2000_oidc_consent': addOidcStateConsent,
};
