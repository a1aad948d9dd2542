#!/usr/bin/env bash
# --resume resumes the same job.  A fetch with --where is killed (kill -9) once a shard of its big
# table is committed on the target; then --resume with another --where, without the --where, with
# another table selection or another --schema: each refused (exit 2) naming the difference, before
# anything is changed (the target's rows, shards and phase as they were, no slot added); finally
# --resume with the same options finishes, and the target holds exactly the rows of the first
# predicate.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_resume_job) || abort_test "createdb"
register_dbs "$DB"
ROWS=${GW_RESUME_JOB_ROWS:-600000}
setup_src "$DB" - <<SQL
CREATE TABLE big (id bigint PRIMARY KEY, region text NOT NULL, pad text);
INSERT INTO big SELECT i, (ARRAY['A', 'B'])[1 + i % 2], repeat(chr(65 + i % 26), 100) FROM generate_series(1, $ROWS) i;
CREATE TABLE other (id int PRIMARY KEY);
INSERT INTO other SELECT generate_series(1, 10);
ANALYZE;
SQL
WHERE_A="public.big: region = 'A'"

fetch_gone() { ! kill -0 "$FETCH_PID" 2>/dev/null; }
shard_done() {
    fetch_gone && return 0
    [ "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = 'big' AND done" 2>/dev/null)" -ge 1 ] 2>/dev/null
}
bg_start FETCH_PID "$GODWIT" fetch --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --jobs 2 --shard-size 2 \
    --tables public.big --where "$WHERE_A"
FETCH_ERR=$ERR
wait_for 120 shard_done || fail "no shard of big was committed within 120 s: $(_gw_first_lines "$FETCH_ERR")"
fetch_gone && abort_test "the fetch ended before it could be killed (raise GW_RESUME_JOB_ROWS): $(_gw_first_lines "$FETCH_ERR")"
kill -9 "$FETCH_PID"
wait "$FETCH_PID" 2>/dev/null
# The target's backends may still be committing what the killed run sent: wait until they are gone.
no_sessions() { [ "$(psql_tgt "$DB" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'" 2>/dev/null)" = 0 ]; }
wait_for 30 no_sessions || note "sessions of the killed fetch still on the target"

state() {
    psql_tgt "$DB" "SELECT (SELECT count(*) FROM big) || '/' || (SELECT count(*) FROM _godwit.fetch_progress WHERE done)
        || '/' || (SELECT count(*) FROM _godwit.fetch_progress) || '/' || (SELECT status FROM _godwit.phases WHERE name = 'default')
        || '/' || (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')"
}
BEFORE=$(state)
SLOTS=$(slots_of "$GW_SRC_SERVER" "$DB")
note "state at the kill (rows/shards done/shards/status/tables): $BEFORE; slots: $SLOTS"

refused() {   # WHAT: the resume just run was refused and changed nothing
    GW_CONTEXT="$1"
    assert_short_message "$ERR"
    assert_eq "$BEFORE" "$(state)" "target rows, shards, status and tables (rows/done/shards/status/tables)"
    assert_eq "$SLOTS" "$(slots_of "$GW_SRC_SERVER" "$DB")" "slots on the source"
    GW_CONTEXT=""
}

gw_fetch 2 "$DB" "$DB" --jobs 2 --resume --tables public.big --where "public.big: region = 'B'"
assert_contains "$ERR" "--where for public.big was \"region = 'A'\" and is now \"region = 'B'\""
refused "another --where"

gw_fetch 2 "$DB" "$DB" --jobs 2 --resume --tables public.big
assert_contains "$ERR" "--where for public.big was \"region = 'A'\" and is now none"
refused "no --where"

gw_fetch 2 "$DB" "$DB" --jobs 2 --resume --where "$WHERE_A"
assert_contains "$ERR" "table public.other is selected now but was not"
refused "other tables"

gw_fetch 2 "$DB" "$DB" --jobs 2 --resume --tables public.big --where "$WHERE_A" --schema existing
assert_contains "$ERR" "--schema was create and is now existing"
refused "another --schema"

# The same job: finished, exactly the first predicate's rows.
gw_fetch 0 "$DB" "$DB" --jobs 2 --resume --tables public.big --where "$WHERE_A"
assert_tables_equal "$DB" "$DB" public.big id "region = 'A'"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM big WHERE region <> 'A'")" "rows of another predicate on the target"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'default'")" "phase status"
finish
