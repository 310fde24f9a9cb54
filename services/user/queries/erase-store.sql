-- eraseFollows
select "follower_id", "followee_id" from "user"."follows" where ("follower_id" = $1 or "followee_id" = $2) for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "user"."follows" where ("follower_id" = $1 or "followee_id" = $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- eraseQueuedMail
delete from "user"."mail_outbox" where "to" in (select "email" from "user"."contacts" where "user_id" = $1);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- eraseRows
delete from "user"."blocks" where "blocker_id" = $1 or "blocked_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- countRows
select count(*) as n from "user"."mutes" where "muter_id" = $1 or "muted_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- uuidColumnsOfSchema

    select table_name, column_name from information_schema.columns
    where table_schema = $1 and data_type = 'uuid'
    order by table_name, column_name;
-- $1 = "user"

-- tablesOfSchema

    select table_name from information_schema.tables
    where table_schema = $1 and table_type = 'BASE TABLE'
    order by table_name;
-- $1 = "user"
