import { defineService } from '@kith/runtime';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';

/** Accounts, tokens, sessions, MFA, OIDC, API keys, roles (issue #3). */
export const authModule = defineService({
  name: 'auth',
  services: [AuthService, AuthAdminService],
  publicMethods: [
    'kith.auth.v1.AuthService/Register',
    'kith.auth.v1.AuthService/VerifyEmail',
    'kith.auth.v1.AuthService/ResendVerification',
    'kith.auth.v1.AuthService/Login',
    'kith.auth.v1.AuthService/CompleteMfa',
    'kith.auth.v1.AuthService/Refresh',
    'kith.auth.v1.AuthService/RequestPasswordReset',
    'kith.auth.v1.AuthService/ResetPassword',
    'kith.auth.v1.AuthService/StartOAuthLogin',
    'kith.auth.v1.AuthService/FinishOAuthLogin',
    'kith.auth.v1.AuthService/GetJwks',
  ],
  migrations: {},
  create: () => ({}),
});
