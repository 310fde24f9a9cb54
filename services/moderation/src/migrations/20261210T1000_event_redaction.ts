import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Erasure's one way into the append-only log (data/erase.ts): an event carrying an erased
 * user's words may be rewritten once, inside a transaction that turned `moderation.erasure` on
 * with set_config(…, true), and only its body (and its user actor, to null) may change, with
 * `redacted_at` stamped. Every other UPDATE, every DELETE and TRUNCATE is still refused, for
 * every role. `search_path` is set for this transaction only, so the names land in the
 * service's schema.
 */
const statements = [
  `alter table events add column redacted_at timestamptz(3)`,
  `create or replace function events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        if coalesce(current_setting('moderation.erasure', true), '') = 'on'
          and old.redacted_at is null
          and new.redacted_at is not null
          and new.seq = old.seq
          and new.id = old.id
          and new.subject_kind = old.subject_kind
          and new.subject_id = old.subject_id
          and (new.actor_user_id is null or new.actor_user_id = old.actor_user_id)
          and new.actor_rule_id is not distinct from old.actor_rule_id
          and new.kind = old.kind
          and new.created_at = old.created_at
        then
          return new;
        end if;
      end if;
      raise exception 'moderation events are append-only' using errcode = 'insufficient_privilege';
    end
  $$`,
];

export const addEventRedaction: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
