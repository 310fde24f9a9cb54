import type { DescService } from '@bufbuild/protobuf';

/**
 * `package.Service/Method` from a descriptor and a method's local name, so a method list
 * (publicMethods, requiredRoles, apiKeyScopes) cannot name a method that does not exist:
 * `rpc(SupportService, 'raiseSos')` → `kith.support.v1.SupportService/RaiseSos`, and a typo
 * fails to compile.
 */
export function rpc<S extends DescService>(service: S, method: keyof S['method'] & string): string {
  const desc = service.method[method];
  if (!desc) throw new Error(`${service.typeName} has no method ${method}`);
  return `${service.typeName}/${desc.name}`;
}
