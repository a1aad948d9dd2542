#!/usr/bin/env bash
# fetch, then replicate in the background while pgbench (tpcb-like, 4 clients) writes to the source;
# the running replicator keeps up by itself, stops cleanly on SIGTERM, and a final
# --stop-when-caught-up leaves every pgbench table equal, pgbench_history (no key) included.
# Also: the checkpoint row of the stream, the slot's confirmed position moving past the fetch's, and
# the running replicator's /metrics (changes per table, positions, lag, reconnects) and /healthz.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_pgbench) || abort_test "createdb"
register_dbs "$DB"

pgbench_src "$DB" -i -s 1 -q || abort_test "pgbench -i failed"
gw_fetch 0 "$DB" "$DB" --jobs 2 || abort_test "fetch failed"
assert_pgbench_equal "$DB" "$DB"
START=$(psql_tgt "$DB" "SELECT snapshot_position FROM _godwit.phases WHERE name = 'default'")
SLOT=$(slot_name "$DB" default)
SLOT0=$(slot_lsn "$SLOT")
note "fetch start position $START, slot at $SLOT0"
[ -n "$START" ] || fail "no snapshot_position in _godwit.phases for phase default"

MPORT=$(free_port)
# An IPv6 listener (IPv4 ones: test_verify_live).
bg_replicate REPL "$DB" "$DB" --metrics-addr "[::1]:$MPORT"
# pgbench writes while the replicator streams: 4 clients, 4000 transactions in all.
pgbench_src "$DB" -c 4 -j 2 -t 1000 -n || fail "pgbench run failed"
is_running "$REPL" || { wait "$REPL"; fail "replicate exited (status $?) while pgbench ran: $(_gw_first_lines "$REPL_ERR")"; }
hist=$(psql_src "$DB" "SELECT count(*) FROM pgbench_history")
assert_eq 4000 "$hist" "rows in pgbench_history on the source after 4000 transactions"

# The replicator running in the background catches up by itself (a polled condition).
if ! wait_for 90 synced_or_gone "$REPL" pgbench_in_sync "$DB" "$DB" || ! pgbench_in_sync "$DB" "$DB"; then
    fail "the running replicator did not bring the target in step after pgbench ended (history on target: $(psql_tgt "$DB" "SELECT count(*) FROM pgbench_history" 2>&1) of $hist)"
fi
cp_live=$(checkpoint_of "$DB" 2>&1)
note "checkpoint while running: $cp_live"

# /metrics counts what was applied: every pgbench_history row arrived once, as one change each.
metrics() { curl -sfg "http://[::1]:$MPORT/metrics"; }
metric() { metrics | awk -v n="$1" '$1 == n {printf "%d", $2}'; }
history_counted() { [ "$(metric 'godwit_changes_applied_total{table="public.pgbench_history"}')" = "$hist" ]; }
wait_for 30 history_counted ||
    fail "godwit_changes_applied_total for public.pgbench_history is '$(metric 'godwit_changes_applied_total{table="public.pgbench_history"}')', not $hist"
M=$GW_OUT/metrics.txt
metrics >"$M" || fail "GET /metrics failed"
for name in godwit_transactions_applied_total godwit_stream_bytes_received_total godwit_source_position \
    godwit_applied_position godwit_lag_bytes godwit_lag_seconds godwit_reconnects_total \
    'godwit_changes_applied_total{table="public.pgbench_accounts"}'; do
    grep -q "^$name " "$M" || fail "/metrics has no $name"
done
assert_ge 4000 "$(metric godwit_transactions_applied_total)" "transactions applied by the running replicator"
assert_eq 0 "$(metric godwit_reconnects_total)" "reconnects of the running replicator"
assert_eq "ok" "$(curl -sfg "http://[::1]:$MPORT/healthz")" "GET /healthz"

# SIGTERM: stops cleanly, exit 0.
stop_bg "$REPL" 30
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
_gw_dump "$REPL_ERR" "background replicate stderr"
assert_not_contains "$REPL_ERR" "error"

# Nothing left to do, or a little: --stop-when-caught-up ends by itself.
gw_replicate 0 "$DB" "$DB" --stop-when-caught-up
assert_pgbench_equal "$DB" "$DB"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM (SELECT tid, bid, aid, delta, mtime, filler FROM pgbench_history GROUP BY 1,2,3,4,5,6 HAVING count(*) > 1) d" 2>&1)" \
    "duplicate rows in pgbench_history on the target"

# A second round of writes with nobody streaming: a backlog that --stop-when-caught-up applies.
pgbench_src "$DB" -c 4 -j 2 -t 250 -n || fail "pgbench run failed"
gw_replicate 0 "$DB" "$DB" --stop-when-caught-up
assert_pgbench_equal "$DB" "$DB"
assert_eq 5000 "$(psql_tgt "$DB" "SELECT count(*) FROM pgbench_history" 2>&1)" "rows in pgbench_history on the target"

# The checkpoint: one row for the stream, past the fetch's start position.
row=$(psql_tgt "$DB" "SELECT stream || '|' || phase || '|' || direction FROM _godwit.checkpoints" 2>&1)
assert_eq "$(stream_name "$DB" default)|default|forward" "$row" "rows of _godwit.checkpoints"
CP=$(checkpoint_of "$DB" 2>&1)
lsn_cmp "$CP" ">" "$START" || fail "checkpoint position '$CP' is not past the fetch's start position '$START'"
# The source was told: the slot's confirmed position moved past the start, and not beyond what the
# source has written.
SLOT1=$(slot_lsn "$SLOT")
note "checkpoint $CP, slot confirmed_flush_lsn $SLOT1"
lsn_cmp "$SLOT1" ">" "$SLOT0" || fail "slot $SLOT's confirmed_flush_lsn '$SLOT1' did not advance past the fetch's '$SLOT0'"
lsn_cmp "$SLOT1" ">=" "$CP" || note "slot confirmed_flush_lsn $SLOT1 is behind the target's checkpoint $CP after --stop-when-caught-up (the last confirmation was not sent before exit)"
cur=$(psql_src postgres "SELECT pg_current_wal_insert_lsn()")
lsn_cmp "$SLOT1" "<=" "$cur" || fail "slot confirmed_flush_lsn '$SLOT1' is beyond the source's WAL end '$cur'"
# The slot is not left in use.
assert_eq "" "$(psql_src postgres "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$SLOT'")" \
    "walsender still attached to the slot after replicate exited"

finish
