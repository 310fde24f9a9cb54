import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The terms a user accepted before "Sign up with …", kept with the started login until it
 * finishes: an OIDC sign-up stores them on the new account as Register does. Null when the
 * start carried none (a login of an existing account, or a link).
 */
export const addOidcStateConsent: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    await sql`alter table oidc_states add column consent jsonb`.execute(db);
  },
};
