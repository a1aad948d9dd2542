#!/usr/bin/env bash
# fetch from MariaDB while sysbench writes (oltp_write_only: index and non-index updates, a delete
# and an insert of the same key per transaction), then replicate under the same load, killed with
# kill -9 twice at random moments; the sysbench tables end equal on both sides, checked by an md5
# of every row computed by each server.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v sysbench >/dev/null || abort_test "sysbench is not installed (make deps)"
mariadb_server_start msb || abort_test "could not start MariaDB"
DB=$(new_dbs gw_mysb) || abort_test "createdb"
register_dbs "$DB"
PHASE=sysbench
mariadb_sql msb -e "CREATE DATABASE sb" || abort_test "create database"
SB=(sysbench oltp_write_only --mysql-socket="$MSB_SOCK" --mysql-user=root --mysql-db=sb --tables=2 --table-size=5000)
"${SB[@]}" prepare >"$GW_OUT/sysbench-prepare.log" 2>&1 || abort_test "sysbench prepare: $(tail -3 "$GW_OUT/sysbench-prepare.log")"

my_digest() {
    local t
    for t in sbtest1 sbtest2; do
        mariadb_sql msb sb -e "SET SESSION group_concat_max_len = 1073741824;
            SELECT CONCAT(MD5(GROUP_CONCAT(CONCAT_WS('|', id, k, c, pad) ORDER BY id SEPARATOR '\n')), ' ', COUNT(*)) FROM $t"
    done
}
pg_digest() {
    local t
    for t in sbtest1 sbtest2; do
        psql_tgt "$DB" "SELECT md5(string_agg(concat_ws('|', id, k, c::text, pad::text), E'\n' ORDER BY id)) || ' ' || count(*) FROM sb.$t"
    done
}
in_sync() { [ "$(my_digest 2>/dev/null)" = "$(pg_digest 2>/dev/null)" ]; }

bg_start LOAD "${SB[@]}" --threads=2 --time=12 --report-interval=0 run
rand_sleep 200 600
assert_exit 0 "$GODWIT" fetch --source "$(mariadb_url msb sb)" --target "$(tgt_url "$DB")" --phase "$PHASE" --jobs 2 ||
    abort_test "fetch during the load failed"
REPL_ARGS=(replicate --source "$(mariadb_url msb sb)" --target "$(tgt_url "$DB")" --phase "$PHASE")
bg_start REPL "$GODWIT" "${REPL_ARGS[@]}"
for k in 1 2; do
    rand_sleep 500 2500
    kill -9 "$REPL" 2>/dev/null; wait "$REPL" 2>/dev/null
    note "killed replicate with kill -9 (round $k)"
    bg_start REPL "$GODWIT" "${REPL_ARGS[@]}"
done
REPL_ERR=$ERR
wait "$LOAD" || fail "sysbench run failed"
wait_for 60 synced_or_gone "$REPL" in_sync || fail "replicate did not catch up with sysbench within 60 s"
is_running "$REPL" || { fail "replicate exited"; _gw_dump "$REPL_ERR" "replicate stderr"; }
stop_bg "$REPL" 30 TERM
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
m=$(my_digest 2>&1); p=$(pg_digest 2>&1)
if ! assert_eq "$m" "$p" "md5 and count of sbtest1 and sbtest2 on MariaDB (expected) and PostgreSQL (actual)"; then
    for t in sbtest1 sbtest2; do
        mariadb_sql msb sb -e "SELECT id, k, c, pad FROM $t ORDER BY id" | tr '\t' '|' >"$GW_OUT/$t.mariadb"
        psql_tgt "$DB" "SELECT concat_ws('|', id, k, c::text, pad::text) FROM sb.$t ORDER BY id" >"$GW_OUT/$t.pg"
        note "first differences in $t (< MariaDB, > PostgreSQL):"
        diff "$GW_OUT/$t.mariadb" "$GW_OUT/$t.pg" | head -6 | sed 's/^/#   /' >&2
    done
fi
note "sysbench tables: $(tr '\n' ';' <<<"$m")"

finish
