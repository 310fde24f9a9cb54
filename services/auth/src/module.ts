import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { Subscription } from '@kith/bus';
import {
  defineService,
  exportBucketDir,
  filesystemBlobStorage,
  implement,
  periodicDaemon,
  rpc,
} from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import type { AuthDatabase } from './db/schema.js';
import { applyBootstrapAdmins } from './admin/bootstrap.js';
import { adminHandlers } from './admin/handlers.js';
import { accountHandlers } from './accounts/handlers.js';
import { apiKeyHandlers } from './api-keys/handlers.js';
import { serveApiKeyIntrospection } from './api-keys/introspection.js';
import { createAuthApp } from './app.js';
import type { AuthApp, AuthAppOverrides } from './app.js';
import { onUserErased } from './erasure/on-user-erased.js';
import { onExportRequested } from './export/on-export-requested.js';
import { loginHandlers } from './login/handlers.js';
import { authMigrations } from './migrations/index.js';
import { mfaHandlers } from './mfa/handlers.js';
import { onModerationEvents } from './moderation/on-moderation-events.js';
import { oidcHandlers } from './oidc/handlers.js';
import { registrationExpiryDaemon } from './registrations/expiry-daemon.js';
import { revocationBackstop } from './sessions/revocation-backstop.js';
import { sessionHandlers } from './sessions/handlers.js';
import { jwksHandlers, jwksRoute } from './tokens/jwks-handlers.js';

/** How often the signing keys are checked for rotation and expiry. */
const KEY_MAINTENANCE_MS = 10 * 60_000;

export const AUTH_PUBLIC_METHODS: readonly string[] = [
  rpc(AuthService, 'register'),
  rpc(AuthService, 'verifyEmail'),
  rpc(AuthService, 'resendVerification'),
  rpc(AuthService, 'login'),
  rpc(AuthService, 'completeMfa'),
  rpc(AuthService, 'refresh'),
  rpc(AuthService, 'requestPasswordReset'),
  rpc(AuthService, 'resetPassword'),
  // Public for its token path (the link mailed to the current address); signed in works too.
  rpc(AuthService, 'cancelEmailChange'),
  rpc(AuthService, 'startOAuthLogin'),
  rpc(AuthService, 'finishOAuthLogin'),
  rpc(AuthService, 'getJwks'),
];

/** The auth parts, and the app they were built from (tests reach its database and mail relay). */
export type AuthParts = ServiceParts<AuthDatabase> & { app: AuthApp };

/** Builds the auth parts; tests pass overrides (a cheaper password hasher, a readable mailer). */
export async function createAuthParts(
  ctx: ServiceContext<AuthDatabase>,
  overrides: AuthAppOverrides = {},
): Promise<AuthParts> {
  const app = createAuthApp(ctx, overrides);
  await app.keys.maintain();
  await applyBootstrapAdmins(app);
  let introspection: Subscription | undefined;
  return {
    app,
    handlers: [
      implement(AuthService, {
        ...accountHandlers(app),
        ...loginHandlers(app),
        ...sessionHandlers(app),
        ...mfaHandlers(app),
        ...oidcHandlers(app),
        ...apiKeyHandlers(app),
        ...jwksHandlers(app.keys),
      }),
      implement(AuthAdminService, adminHandlers(app)),
    ],
    consumers: [
      revocationBackstop(app),
      onUserErased(app),
      // Suspended and banned accounts lose every session and credential while it lasts.
      onModerationEvents(app),
      // Auth takes part in the data export: its part goes where the user service assembles.
      onExportRequested(app, filesystemBlobStorage(exportBucketDir(ctx))),
    ],
    daemons: [
      periodicDaemon({
        name: 'auth:signing-keys',
        everyMs: KEY_MAINTENANCE_MS,
        run: () => app.keys.maintain(),
        onError: (err) => app.logger.error({ err }, 'key maintenance failed'),
      }),
      {
        name: 'auth:mail-relay',
        start: () => app.mailRelay.start(),
        stop: () => app.mailRelay.stop(),
      },
      registrationExpiryDaemon(app),
      {
        name: 'auth:after-answer',
        start: () => undefined,
        stop: () => app.afterAnswer.settled(),
      },
      {
        name: 'auth:api-key-introspection',
        async start() {
          introspection = await serveApiKeyIntrospection(app);
        },
        async stop() {
          await introspection?.stop();
        },
      },
    ],
    http: { 'GET /.well-known/jwks.json': jwksRoute(app.keys) },
    verificationKeys: app.keys.verificationKeys,
    close: () => app.mailer.close(),
  };
}

/** Accounts, tokens, sessions, MFA, OIDC, API keys, roles and the auth audit log. */
export const authModule = defineService<AuthDatabase, AuthAppOverrides>({
  name: 'auth',
  services: [AuthService, AuthAdminService],
  publicMethods: AUTH_PUBLIC_METHODS,
  // Staff RPCs refuse everyone else before their requests are even validated.
  requiredRoles: { [AuthAdminService.typeName]: 'admin' },
  // A suspended or banned account still reads its account and sees and ends its sessions.
  restrictedMethods: [
    rpc(AuthService, 'getAccount'),
    rpc(AuthService, 'listSessions'),
    rpc(AuthService, 'revokeSession'),
    rpc(AuthService, 'logout'),
    rpc(AuthService, 'logoutAll'),
  ],
  migrations: authMigrations,
  create: (ctx, overrides) => createAuthParts(ctx, overrides),
});
