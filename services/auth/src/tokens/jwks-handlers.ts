import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { HttpHandler } from '@kith/runtime';
import type { SigningKeyStore } from './signing-keys.js';

export function jwksHandlers(keys: SigningKeyStore): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async getJwks() {
      const set = await keys.jwks();
      return {
        jwksJson: JSON.stringify(set),
        keys: set.keys.map((k) => ({
          kty: k.kty ?? '',
          kid: k.kid ?? '',
          alg: k.alg ?? '',
          use: k.use ?? '',
          crv: k.crv ?? '',
          x: k.x ?? '',
          y: k.y ?? '',
        })),
      };
    },
  };
}

/** `GET /.well-known/jwks.json`, cacheable for a few minutes (the next key is published early). */
export function jwksRoute(keys: SigningKeyStore): HttpHandler {
  return async (_req, res) => {
    const body = JSON.stringify(await keys.jwks());
    res.writeHead(200, {
      'content-type': 'application/jwk-set+json',
      'cache-control': 'public, max-age=300',
    });
    res.end(body);
  };
}
