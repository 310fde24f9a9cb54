// The relying-party side of OIDC login. The test provider is deliberately not exported here: it
// needs oidc-provider, a devDependency; tests import './oidc/test-provider.js' directly.
export { createOidcClients } from './client.js';
export type {
  OidcCallbackParams,
  OidcClient,
  OidcClients,
  OidcClientsOptions,
  OidcExpected,
  OidcStartResult,
} from './client.js';
export { OidcLoginError, OidcRedirectNotAllowedError } from './errors.js';
export type { OidcLoginFailure } from './errors.js';
export type { OidcIdentity } from './identity.js';
export {
  OIDC_PROVIDERS_ENV,
  OidcConfigError,
  oidcProvidersEnvSchema,
  parseOidcProviders,
} from './providers.js';
export type { OidcPreset, OidcProviderConfig, OidcResponseMode } from './providers.js';
