import type { Role } from '@kith/context';
import { InvalidArgumentError } from '@kith/errors';
import { Role as RoleEnum } from '@kith/gen/kith/auth/v1/types_pb.js';

const FROM_PROTO: Partial<Record<RoleEnum, Role>> = {
  [RoleEnum.USER]: 'user',
  [RoleEnum.TRIAGE]: 'triage',
  [RoleEnum.MODERATOR]: 'moderator',
  [RoleEnum.ADMIN]: 'admin',
};

export function roleFromProto(role: RoleEnum, field = 'role'): Role {
  const found = FROM_PROTO[role];
  if (!found) throw new InvalidArgumentError([{ field, message: 'unknown role' }]);
  return found;
}
