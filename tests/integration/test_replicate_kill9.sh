#!/usr/bin/env bash
# Exactly once across kill -9: replicate is killed five times at random moments while pgbench writes
# to the source, and started again each time; then --stop-when-caught-up, and every pgbench table is
# equal, pgbench_history (no key, insert-only) without a duplicate or a missing row.
# Then one large source transaction (an UPDATE of 200k rows and an INSERT of 300k rows into a table
# without a key) with the replicator killed while the target applies it; after a restart, exact.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_kill9) || abort_test "createdb"
register_dbs "$DB"
PHASE=kill9

pgbench_src "$DB" -i -s 1 -q || abort_test "pgbench -i failed"
setup_src "$DB" - <<'SQL'
CREATE TABLE big (id integer PRIMARY KEY, v integer NOT NULL, pad text);
INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, 200000) g;
CREATE TABLE bulk_nokey (a integer, b text);
SQL
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --jobs 2 || abort_test "fetch failed"

# ---- five kills under load
# pgbench at a bounded rate for the whole time of the kills: about 4000 transactions.
bg_pgbench PGB "$DB" -c 4 -j 2 -R 500 -T 8 -n
kills=0
for round in 1 2 3 4 5; do
    bg_replicate REPL "$DB" "$DB" --phase "$PHASE"
    rand_sleep 200 1500
    if ! is_running "$REPL"; then
        wait "$REPL"
        fail "round $round: replicate exited (status $?) before it was killed: $(_gw_first_lines "$REPL_ERR")"
        _gw_dump "$REPL_ERR" "replicate stderr"
        continue
    fi
    kill -9 "$REPL"
    wait "$REPL" 2>/dev/null
    kills=$((kills + 1))
    note "round $round: killed replicate; target checkpoint now $(checkpoint_of "$DB" "$(stream_name "$DB" "$PHASE")" 2>&1), history rows on target $(psql_tgt "$DB" "SELECT count(*) FROM pgbench_history" 2>&1)"
    rand_sleep 0 300
done
assert_eq 5 "$kills" "replicators killed with kill -9 while running"
is_running "$PGB" && note "pgbench still running after the kills: the last rounds and the catch-up overlap it"
wait "$PGB"; pgb_rc=$?
note "pgbench: exit $pgb_rc, $(grep -ahE '^(number of transactions actually processed|tps)' "$PGB_OUT" | tr '\n' ' ')"
assert_eq 0 "$pgb_rc" "pgbench exit status"
hist=$(psql_src "$DB" "SELECT count(*) FROM pgbench_history")
assert_ge 1000 "$hist" "transactions run by pgbench during the kills"

gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_pgbench_equal "$DB" "$DB"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM (SELECT 1 FROM pgbench_history GROUP BY tid, bid, aid, delta, mtime, filler HAVING count(*) > 1) d" 2>&1)" \
    "groups of duplicate rows in pgbench_history on the target"

# ---- kill -9 while the target applies one large source transaction
setup_src "$DB" - <<'SQL'
BEGIN;
UPDATE big SET v = v + 1, pad = md5(pad);
INSERT INTO bulk_nokey SELECT g, md5(g::text) FROM generate_series(1, 300000) g;
COMMIT;
SQL
bg_replicate REPL "$DB" "$DB" --phase "$PHASE"
# The moment: the replicator's session on the target is inside a transaction that has written rows.
applying() {
    _gw_gone "$REPL" && return 0
    [ "$(psql_tgt "$DB" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
            AND application_name LIKE 'godwit%' AND backend_xid IS NOT NULL" 2>/dev/null)" -gt 0 ] 2>/dev/null
}
if ! wait_for 60 applying; then
    fail "large transaction: the replicator did not start applying within 60s"
fi
if is_running "$REPL"; then
    rand_sleep 0 400
    kill -9 "$REPL"
    wait "$REPL" 2>/dev/null
    on_target=$(psql_tgt "$DB" "SELECT count(*) FROM bulk_nokey" 2>&1)
    note "large transaction: killed replicate; rows of bulk_nokey committed on the target: $on_target"
    [ "$on_target" = 0 ] || note "the kill came after the large transaction was committed on the target (it was applied faster than the test could kill it)"
else
    wait "$REPL"
    fail "large transaction: replicate exited (status $?) before it was killed: $(_gw_first_lines "$REPL_ERR")"
fi
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_tables_equal "$DB" "$DB" public.big id
assert_tables_equal "$DB" "$DB" public.bulk_nokey "a, b"
assert_eq 300000 "$(psql_tgt "$DB" "SELECT count(*) FROM bulk_nokey" 2>&1)" "rows of bulk_nokey on the target"
assert_pgbench_equal "$DB" "$DB"

finish
