-- bump
insert into "user"."stats_daily" ("metric", "day", "n") values ($1, $2, $3) on conflict ("metric", "day") do update set "n" = stats_daily.n + excluded.n;
-- $1 = "follows", $2 = 20425, $3 = 1

-- markActive
insert into "user"."stats_active_days" ("user_id", "day") values ($1, $2) on conflict do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 20425

-- insertAccount
insert into "user"."stats_accounts" ("user_id", "registered_day", "verified") values ($1, $2, $3) on conflict do nothing returning "user_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 20425, $3 = false

-- markVerified
update "user"."stats_accounts" set "verified" = $1 where "user_id" = $2 and "verified" = $3 returning "registered_day";
-- $1 = true, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = false

-- deleteAccount
delete from "user"."stats_accounts" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- openMute
insert into "user"."stats_open_mutes" ("muter_id", "muted_id") values ($1, $2) on conflict do nothing returning "muter_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- closeMute
delete from "user"."stats_open_mutes" where "muter_id" = $1 and "muted_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- dailyCounters
select "metric", "day", "n" from "user"."stats_daily" where "day" >= $1 and "day" <= $2;
-- $1 = 20400, $2 = 20425

-- accountsAt
select coalesce(sum(case when metric = 'users_verified' then n else -n end), 0) as "n" from "user"."stats_daily" where "metric" in ($1, $2) and "day" <= $3;
-- $1 = "users_verified", $2 = "users_erased", $3 = 20425

-- distinctActive
select count(distinct user_id) as "n" from "user"."stats_active_days" where "day" >= $1 and "day" <= $2;
-- $1 = 20400, $2 = 20425

-- activePerDay
select "day", count(*) as "n" from "user"."stats_active_days" where "day" >= $1 and "day" <= $2 group by "day";
-- $1 = 20400, $2 = 20425

-- pruneActiveDays
delete from "user"."stats_active_days" where "day" < $1;
-- $1 = 20000

-- firstErasedPublishedAt
select "erased_published_at" from "user"."account_deletions" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
