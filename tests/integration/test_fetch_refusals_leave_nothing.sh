#!/usr/bin/env bash
# Every refusal of a fetch comes before its first change.  Each case below is refused with exit 2 and
# one line naming the cause, and leaves on the target no _godwit schema (there was none), no phase
# row and no table, and on the source no slot and no publication; then the corrected command works:
# - a source server with wal_level = replica (corrected: --no-stream);
# - a source role that may not publish the table (it does not own it; corrected: its owner);
# - a target role that may not create godwit's state schema (corrected: a role that may);
# - a row filter the source's column type refuses, --where 'aid = ''abc''' on an integer (corrected:
#   a valid filter, whose rows then are on the target);
# - a slot named like the new phase's already on the source server, made by another database
#   (corrected: once it is dropped); the phase row, publication and tables of the phase are not
#   made, the earlier phase's state is kept.
# A fetch that fails after it has begun (a copy the target refuses) leaves a state the next runs
# agree on: without --resume it is refused pointing at --resume (and nothing else), with --resume
# it finishes (never saying there was no earlier fetch).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_refuse) || abort_test "createdb"
OTHER=$(new_dbs gw_refuse_other) || abort_test "createdb"
register_dbs "$DB" "$OTHER"
setup_src "$DB" "CREATE TABLE acc (aid integer PRIMARY KEY, v text);
                 INSERT INTO acc SELECT i, 'v' || i FROM generate_series(1, 100) i;
                 CREATE TABLE second (id integer PRIMARY KEY);
                 INSERT INTO second SELECT generate_series(1, 10);"
S=$(src_url "$DB")
T=$(tgt_url "$DB")
psql_src postgres "DROP ROLE IF EXISTS gw_refuse_src; CREATE ROLE gw_refuse_src LOGIN REPLICATION" >/dev/null
setup_src "$DB" "GRANT SELECT ON acc, second TO gw_refuse_src"
psql_tgt postgres "DROP ROLE IF EXISTS gw_refuse_tgt; CREATE ROLE gw_refuse_tgt LOGIN" >/dev/null
cleanup_roles() {
    psql_src "$DB" "REVOKE ALL ON acc, second FROM gw_refuse_src" >/dev/null 2>&1
    psql_src postgres "DROP ROLE IF EXISTS gw_refuse_src" >/dev/null 2>&1
    psql_tgt postgres "DROP ROLE IF EXISTS gw_refuse_tgt" >/dev/null 2>&1
}

# left_nothing WHAT [SRCSERVER SRCDB]: the target database DB and the source database hold nothing of
# godwit.  What was left is reported, then cleaned, so that each case is judged on its own.
left_nothing() {
    local srv=${2:-$GW_SRC_SERVER} sdb=${3:-$DB} ok=1
    GW_CONTEXT="after: $1"
    assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" "_godwit schema on the target" || ok=""
    assert_no_user_tables "$DB" || ok=""
    assert_no_slot "$sdb" "$srv" || ok=""
    GW_CONTEXT=""
    [ -n "$ok" ] && return 0
    note "(after: $1) resetting the target database and the source's slots"
    reset_stream "$sdb" "$srv"
    recreate_target
}
recreate_target() {
    psql_tgt postgres "DROP DATABASE $DB WITH (FORCE)" >/dev/null && psql_tgt postgres "CREATE DATABASE $DB" >/dev/null \
        || abort_test "recreate the target database"
}

# ---- wal_level = replica on the source server
pg_server_start walrep wal_level=replica || abort_test "start a server with wal_level = replica"
psql_on walrep postgres "CREATE DATABASE gw_walrep" >/dev/null || abort_test "createdb on walrep"
psql_on walrep gw_walrep "CREATE TABLE acc (aid integer PRIMARY KEY, v text); INSERT INTO acc VALUES (1, 'one')" >/dev/null \
    || abort_test "table on walrep"
assert_exit 2 "$GODWIT" fetch --source "$(pg_url walrep gw_walrep)" --target "$T"
assert_contains "$ERR" "wal_level"
assert_short_message "$ERR"
left_nothing "wal_level refusal" walrep gw_walrep
assert_exit 0 "$GODWIT" fetch --source "$(pg_url walrep gw_walrep)" --target "$T" --no-stream
assert_eq "1|one" "$(psql_tgt "$DB" "SELECT aid || '|' || v FROM acc")" "acc fetched from the wal_level = replica server with --no-stream"
pg_server_stop walrep
recreate_target

# ---- a source role that does not own the table: it may not add it to a publication
assert_exit 2 "$GODWIT" fetch --source "$(pg_url "$GW_SRC_SERVER" "$DB" gw_refuse_src)" --target "$T"
assert_contains "$ERR" "acc"
assert_contains "$ERR" "gw_refuse_src"
assert_short_message "$ERR"
left_nothing "a source role that does not own the table"

# ---- a target role that may not create the state schema
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$(pg_url "$GW_TGT_SERVER" "$DB" gw_refuse_tgt)"
assert_contains "$ERR" "gw_refuse_tgt"
assert_contains "$ERR" "CREATE"
assert_short_message "$ERR"
left_nothing "a target role without CREATE"

# ---- a row filter of the wrong type
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --where "public.acc: aid = 'abc'"
assert_contains "$ERR" "public.acc"
assert_contains "$ERR" "abc"
assert_short_message "$ERR"
left_nothing "a row filter of the wrong type"

# ---- the corrected commands
assert_exit 0 "$GODWIT" fetch --source "$S" --target "$T" --where "public.acc: aid > 90"
assert_tables_equal "$DB" "$DB" public.acc aid "aid > 90"
assert_tables_equal "$DB" "$DB" public.second id
cleanup_roles

# ---- a slot named like the new phase's, made by another database of the source server.  Its name is
#      derived from the one godwit gave the first phase's slot ("default" -> "p_two").
FIRST=$(psql_src postgres "SELECT slot_name FROM pg_replication_slots WHERE database = '$DB' AND slot_name LIKE 'godwit%'")
[ -n "$FIRST" ] && [ "${FIRST%default}" != "$FIRST" ] || abort_test "the first phase's slot ($FIRST) does not end with its phase name"
CLASH="${FIRST%default}p_two"
psql_src "$OTHER" "SELECT pg_create_logical_replication_slot('$CLASH', 'pgoutput')" >/dev/null || abort_test "create slot $CLASH"
PUBS=$(psql_src "$DB" "SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication")
setup_tgt "$DB" "TRUNCATE second"
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --phase p_two --tables public.second --schema existing
assert_contains "$ERR" "$CLASH"
assert_short_message "$ERR"
GW_CONTEXT="after a slot name conflict"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.phases WHERE name = 'p_two'")" "phase row of p_two"
assert_eq "$FIRST" "$(psql_src postgres "SELECT string_agg(slot_name, ',') FROM pg_replication_slots WHERE database = '$DB'")" "slots of the source database"
assert_eq "$PUBS" "$(psql_src "$DB" "SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication")" "publications of the source database"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM second")" "rows of second on the target"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'default'")" "the first phase's status"
GW_CONTEXT=""
psql_src "$OTHER" "SELECT pg_drop_replication_slot('$CLASH')" >/dev/null
assert_exit 0 "$GODWIT" fetch --source "$S" --target "$T" --phase p_two --tables public.second --schema existing
assert_tables_equal "$DB" "$DB" public.second id

# ---- a copy the target refuses (a check the source's rows break) after the fetch began
setup_src "$DB" "CREATE TABLE third (id integer PRIMARY KEY, n integer); INSERT INTO third SELECT i, i FROM generate_series(1, 50) i;"
setup_tgt "$DB" "CREATE TABLE third (id integer PRIMARY KEY, n integer CONSTRAINT small CHECK (n < 40))"
assert_exit 4 "$GODWIT" fetch --source "$S" --target "$T" --phase p_three --tables public.third --schema existing
assert_eq fetching "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'p_three'")" "status after the failed copy"
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --phase p_three --tables public.third --schema existing
assert_contains "$ERR" "use --resume"
assert_short_message "$ERR" 1
setup_tgt "$DB" "ALTER TABLE third DROP CONSTRAINT small"
assert_exit 0 "$GODWIT" fetch --source "$S" --target "$T" --phase p_three --tables public.third --schema existing --resume
assert_not_contains "$ERR" "no earlier fetch"
assert_tables_equal "$DB" "$DB" public.third id
finish
