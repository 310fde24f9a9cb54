import type { MigrationSet } from '@kith/db';
import { mailMigrations } from '@kith/mail';
import { createAuthSchema } from './20261123T1800-auth.js';
import { addOidcStateConsent } from './20261123T2000-oidc-consent.js';
import { credentialChangeHardening } from './20261203T1000-credential-changes.js';
import { addDevicesAndOAuthBinding } from './20261203T1000-devices-oauth-binding.js';

/** The auth service's own migrations, in order (platform tables come first). */
export const authMigrations: MigrationSet = {
  ...mailMigrations,
  '20261123T1800_auth': createAuthSchema,
  '20261123T2000_oidc_consent': addOidcStateConsent,
  '20261203T1000_credential_changes': credentialChangeHardening,
  '20261203T1000_devices_oauth_binding': addDevicesAndOAuthBinding,
};
