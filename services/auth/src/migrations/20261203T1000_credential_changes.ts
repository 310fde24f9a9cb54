import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Credential-change hardening (issue 6): a cancel link for a pending e-mail change, a count of
 * wrong ConfirmTotp codes per pending enrolment, and recovery codes hashed with a keyed MAC.
 * Codes stored under the old unkeyed hash can never match again, so they are removed (there is
 * no production data yet; holders regenerate them).
 */
export const credentialChangeHardening: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    await sql`alter table email_tokens drop constraint email_tokens_purpose_check`.execute(db);
    await sql`alter table email_tokens add constraint email_tokens_purpose_check check (
      purpose in ('verify_email', 'reset_password', 'change_email', 'cancel_email_change')
    )`.execute(db);
    await sql`alter table accounts add column totp_pending_attempts integer not null default 0`.execute(
      db,
    );
    await sql`delete from recovery_codes`.execute(db);
  },
};
