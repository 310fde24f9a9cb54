-- One pair of Postgres roles per Kith service (ADR 0009, "Trust boundaries between services").
-- Run as a superuser once per service, replacing {{service}} (auth, user, post, circle,
-- support, moderation) and the two passwords. Then give the service
--   DATABASE_MIGRATION_URL = postgres://kith_{{service}}_owner:…@host/db   (for `migrate`)
--   DATABASE_URL           = postgres://kith_{{service}}:…@host/db         (for `serve`)
-- The owner owns only its schema; the runtime role reads and writes rows there and nowhere else.

CREATE ROLE kith_{{service}}_owner LOGIN PASSWORD '{{owner_password}}';
CREATE ROLE kith_{{service}} LOGIN PASSWORD '{{password}}';
CREATE SCHEMA IF NOT EXISTS "{{service}}" AUTHORIZATION kith_{{service}}_owner;
REVOKE ALL ON SCHEMA "{{service}}" FROM PUBLIC;
-- `CREATE SCHEMA IF NOT EXISTS` in the migrations checks this right even when the schema exists.
GRANT CREATE ON DATABASE "{{database}}" TO kith_{{service}}_owner;
GRANT USAGE ON SCHEMA "{{service}}" TO kith_{{service}};
ALTER DEFAULT PRIVILEGES FOR ROLE kith_{{service}}_owner IN SCHEMA "{{service}}"
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kith_{{service}};
ALTER DEFAULT PRIVILEGES FOR ROLE kith_{{service}}_owner IN SCHEMA "{{service}}"
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO kith_{{service}};
-- Nothing in the public schema for anyone but its owner.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
