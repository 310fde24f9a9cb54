import type { MigrationSet } from '@kith/db';
import { mailMigrations } from '@kith/mail';
import { createAuthSchema } from './20261123T1800_auth.js';
import { addOidcStateConsent } from './20261123T2000_oidc_consent.js';
import { credentialChangeHardening } from './20261203T1000_credential_changes.js';
import { addDevicesAndOAuthBinding } from './20261203T1000_devices_oauth_binding.js';
import { dropRefreshReplacedBy } from './20261203T1400_drop_refresh_replaced_by.js';
import { addModerationEnforcement } from './20261209T1000_moderation_enforcement.js';

/**
 * The auth service's own migrations, in order (platform tables come first). Each file is named
 * after its key and exports one `Migration`.
 */
export const authMigrations: MigrationSet = {
  ...mailMigrations,
  '20261123T1800_auth': createAuthSchema,
  '20261123T2000_oidc_consent': addOidcStateConsent,
  '20261203T1000_credential_changes': credentialChangeHardening,
  '20261203T1000_devices_oauth_binding': addDevicesAndOAuthBinding,
  '20261203T1400_drop_refresh_replaced_by': dropRefreshReplacedBy,
  '20261209T1000_moderation_enforcement': addModerationEnforcement,
};
