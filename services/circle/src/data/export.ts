import {
  AuditAction,
  CircleRole,
  HideReason,
  JoinRule,
  JoinVia,
  RequestStatus,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import { exportPartConsumer } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { CircleApp } from '../app.js';
import type { CircleDatabase } from '../db/schema.js';
import { statusAt } from '../invites/invite-store.js';
import {
  exportAuditEntries,
  exportBans,
  exportHiddenPosts,
  exportInviteLinks,
  exportInvites,
  exportJoinRequests,
  exportMemberships,
  exportOwnedCircles,
} from './export-store.js';

/** An enum value as its name without the prefix, lower case: `CircleRole.OWNER` → `owner`. */
function nameOf(names: Record<number, string>, value: number): string {
  return (names[value] ?? 'unspecified').toLowerCase();
}

/** Who an audit entry names, from the user's side: themself, someone else, or nobody. */
function party(id: string | null, userId: string): string | null {
  if (id === null) return null;
  return id === userId ? 'self' : 'another_member';
}

/**
 * What circle holds about the user, one JSON document per category: their memberships and
 * safety roles, the circles they own, invites to and from them, their join requests, bans on
 * them, the links they made, their posts hidden in circles (reason and note, as the author sees
 * them) and the audit entries about them. Another person is never named
 * (an audit entry says `self` or `another_member`), and no link code is included. A user
 * circle does not know gives empty categories.
 */
export async function circleDataOf(
  db: Kysely<CircleDatabase>,
  userId: string,
  now: Date,
): Promise<Record<string, unknown>> {
  // One after the other: a transaction is one session.
  const memberships = await exportMemberships(db, userId);
  const owned = await exportOwnedCircles(db, userId);
  const invites = await exportInvites(db, userId);
  const requests = await exportJoinRequests(db, userId);
  const bans = await exportBans(db, userId);
  const links = await exportInviteLinks(db, userId);
  const hidden = await exportHiddenPosts(db, userId);
  const audit = await exportAuditEntries(db, userId);
  return {
    memberships: memberships.map((m) => ({
      circle_id: m.circle_id,
      circle_name: m.circle_name,
      role: nameOf(CircleRole, m.role),
      joined_via: nameOf(JoinVia, m.joined_via),
      joined_at: m.joined_at,
      safety: {
        responder: m.responder,
        primary_contact: m.primary_contact,
        quiet_hours_enabled: m.quiet_hours_enabled,
        quiet_hours:
          m.quiet_time_zone === null
            ? null
            : {
                start_minute: m.quiet_start_minute,
                end_minute: m.quiet_end_minute,
                time_zone: m.quiet_time_zone,
              },
      },
    })),
    circles_owned: owned.map((c) => ({ ...c, join_rule: nameOf(JoinRule, c.join_rule) })),
    invites: invites.map(({ inviter_id, ...invite }) => ({
      ...invite,
      direction: inviter_id === userId ? 'sent' : 'received',
      status: nameOf(RequestStatus, statusAt(invite, now)),
    })),
    join_requests: requests.map((r) => ({ ...r, status: nameOf(RequestStatus, r.status) })),
    bans,
    invite_links: links,
    hidden_posts: hidden.map((h) => ({ ...h, reason: nameOf(HideReason, h.reason) })),
    audit_log: audit.map(({ actor_id, target_id, action, ...entry }) => ({
      ...entry,
      action: nameOf(AuditAction, action),
      actor: party(actor_id, userId) ?? 'system',
      target: party(target_id, userId),
    })),
  };
}

/** `user.export_requested`: circle's part of the export (circleDataOf). */
export function onExportRequested(
  app: CircleApp,
  blobs: BlobStorage,
): ConsumerSpec<CircleDatabase> {
  return exportPartConsumer<CircleDatabase>({
    durable: 'export-part',
    service: KithService.CIRCLE,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: circleDataOf,
    logger: app.logger,
  });
}
