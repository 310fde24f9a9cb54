import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Known devices: the device credential a successful login issues (only its hash is stored),
 * bound to one account. What "known device" means for the new-device code and the login
 * throttle. And the OIDC state's client binding: the hash of the secret StartOAuthLogin
 * returned to the client that started the flow ('' for states started before this migration,
 * which then cannot be finished; they expire within minutes anyway).
 */
export const addDevicesAndOAuthBinding: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    await sql`create table known_devices (
      id uuid primary key,
      account_id uuid not null references accounts (id) on delete cascade,
      token_hash text not null unique,
      created_at timestamptz(3) not null,
      last_used_at timestamptz(3) not null
    )`.execute(db);
    await sql`create index known_devices_account on known_devices (account_id)`.execute(db);
    await sql`alter table oidc_states add column binding_hash text not null default ''`.execute(db);
  },
};
