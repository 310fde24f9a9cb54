import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ROLES } from '@kith/context';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { ModerationDatabase } from '../db/schema.js';
import { saveRole } from './staff-store.js';

const roleName: Record<number, (typeof ROLES)[number]> = {
  [Role.USER]: 'user',
  [Role.TRIAGE]: 'triage',
  [Role.MODERATOR]: 'moderator',
  [Role.ADMIN]: 'admin',
};

/**
 * Who is on staff, for Assign (only staff may be assigned): auth's auth.role_changed, and each
 * staff member's role as their own token states it when they call the console.
 */
export function staffFromAuthEvents(): ConsumerSpec<ModerationDatabase> {
  return {
    durable: 'moderation-staff-from-auth',
    subjects: 'kith.events.auth.role_changed',
    async handle(trx, message) {
      const event = decodeEvent(message.data);
      if (event.payload.case !== 'authRoleChanged') return;
      const at = event.occurredAt ? timestampDate(event.occurredAt) : new Date();
      const { userId, newRole } = event.payload.value;
      await saveRole(trx, userId, roleName[newRole] ?? 'user', at);
    },
  };
}
