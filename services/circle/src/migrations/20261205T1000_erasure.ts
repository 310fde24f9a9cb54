import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * What erasure needs. The avatar's uploader is kept beside it (`avatar_owner_id`): post holds
 * an avatar for the user who uploaded it, who is not always the OWNER (an ADMIN may set it, and
 * ownership moves), and an erased uploader's avatar leaves the circle. A ban outlives the
 * account of whoever issued it, so `banned_by` may be unknown (null).
 */
export const prepareErasure: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('circles').addColumn('avatar_owner_id', 'uuid').execute();
    const circles = db as unknown as Kysely<{
      circles: { owner_id: string; avatar_media_id: string | null; avatar_owner_id: string | null };
    }>;
    await circles
      .updateTable('circles')
      .set({ avatar_owner_id: sql.ref('owner_id') })
      .where('avatar_media_id', 'is not', null)
      .execute();
    await db.schema
      .alterTable('bans')
      .alterColumn('banned_by', (c) => c.dropNotNull())
      .execute();
    // Erasure finds a user's rows by these.
    await db.schema.createIndex('bans_banned_by_idx').on('bans').column('banned_by').execute();
    await db.schema
      .createIndex('invite_links_created_by_idx')
      .on('invite_links')
      .column('created_by')
      .execute();
    await db.schema.createIndex('invites_inviter_idx').on('invites').column('inviter_id').execute();
    await db.schema
      .createIndex('invites_invitee_all_idx')
      .on('invites')
      .column('invitee_id')
      .execute();
    await db.schema.createIndex('bans_user_idx').on('bans').column('user_id').execute();
    await db.schema
      .createIndex('blocks_blocked_all_idx')
      .on('blocks')
      .column('blocked_id')
      .execute();
    await db.schema
      .createIndex('membership_versions_user_idx')
      .on('membership_versions')
      .column('user_id')
      .execute();
    await db.schema.createIndex('audit_log_actor_idx').on('audit_log').column('actor_id').execute();
    await db.schema
      .createIndex('audit_log_target_idx')
      .on('audit_log')
      .column('target_id')
      .execute();
  },
};
