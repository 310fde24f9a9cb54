-- applyAccountEnforcement
update "auth"."accounts" set "moderation_version" = $1, "moderation_limited" = $2, "moderation_suspended" = $3, "moderation_suspended_until" = $4, "moderation_banned" = $5 where "id" = $6 and "moderation_version" < $7;
-- $1 = "3", $2 = false, $3 = true, $4 = 2026-06-01T12:00:00.000Z, $5 = false, $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = "3"
