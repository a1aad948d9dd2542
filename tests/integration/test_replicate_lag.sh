#!/usr/bin/env bash
# Lag where an operator looks, against a known backlog: replicate blocked by a lock on the target while
# the source commits a backlog of known WAL size; its /metrics give the lag in bytes between that
# backlog and everything the source wrote since the fetch, and in seconds the age of the source commits
# waiting; its periodic line says the same; `godwit status` (no --source) shows the lag the stream
# stored, with when it was observed; once the lock goes, both fall to 0 in the metrics, the line and
# status.  Before any replicate, status says so (text and JSON agree: fetched, replicate not started).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_lag) || abort_test "createdb"
register_dbs "$DB"
PHASE=lagp
setup_src "$DB" "CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)"
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" || abort_test "fetch"

# Before replicate: fetched, and nothing claims it replicates.
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")"
assert_contains "$OUT" "phase $PHASE: fetched, replicate not started"
assert_not_contains "$OUT" "lag:"
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")" --format json
assert_eq fetched "$(jq -r '.phases[0].status' "$OUT")" "status in the JSON"

# The target's table locked against writes by a session of the test (reads go on): replicate reads the
# backlog and cannot apply it.
mkfifo "$GW_OUT/lock.fifo"
psql -X -q -v ON_ERROR_STOP=1 -d "$(tgt_url "$DB")" <"$GW_OUT/lock.fifo" >"$GW_OUT/lock.out" 2>&1 &
LOCKER=$!
exec 7>"$GW_OUT/lock.fifo"
echo "BEGIN; LOCK TABLE public.t IN SHARE MODE; SELECT 'locked';" >&7
wait_for 10 grep -q locked "$GW_OUT/lock.out" || abort_test "lock not taken: $(cat "$GW_OUT/lock.out")"

start_lsn=$(psql_src "$DB" "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$(slot_name "$DB" "$PHASE")'")
before=$(psql_src "$DB" "SELECT pg_current_wal_lsn()")
for i in $(seq 1 20); do
    setup_src "$DB" "INSERT INTO t (v) SELECT repeat('x', 200) FROM generate_series(1, 500)"
done
after=$(psql_src "$DB" "SELECT pg_current_wal_lsn()")
first_commit=$(date +%s.%N)
backlog=$(psql_src "$DB" "SELECT pg_wal_lsn_diff('$after', '$before')")
note "backlog: $backlog bytes of WAL since $before; the stream starts at $start_lsn"

MPORT=$(free_port)
bg_replicate REPL "$DB" "$DB" --phase "$PHASE" --metrics-addr "127.0.0.1:$MPORT"
REPL_ERR=$ERR
metric() { curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { print $2; exit }'; }
lag_at_least() { awk -v v="$(metric godwit_lag_seconds)" -v min="$1" 'BEGIN { exit !(v + 0 >= min) }'; }
wait_for 60 lag_at_least 2 || fail "lag seconds did not grow while blocked: $(metric godwit_lag_seconds)"
bytes=$(metric godwit_lag_bytes)
secs=$(metric godwit_lag_seconds)
upper=$(psql_src "$DB" "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn')")
note "blocked: lag $secs s, $bytes bytes (backlog $backlog, at most $upper)"
awk -v b="$bytes" -v lo="$backlog" -v hi="$upper" 'BEGIN { exit !(b + 0 >= lo && b + 0 <= hi) }' ||
    fail "lag bytes $bytes not between the backlog $backlog and everything since the stream's start $upper"
now=$(date +%s.%N)
awk -v s="$secs" -v max="$(awk -v a="$now" -v b="$first_commit" 'BEGIN { print a - b + 30 }')" 'BEGIN { exit !(s + 0 <= max) }' ||
    fail "lag seconds $secs older than the backlog itself"
# The periodic line and status say the same lag.
wait_for 30 grep -q "lag [1-9][0-9.]* s" "$REPL_ERR" || fail "the progress line shows no lag: $(grep replicate "$REPL_ERR" | tail -1)"
stored() { "$GODWIT" status --target "$(tgt_url "$DB")" --format json 2>/dev/null | jq -r '.phases[0].observed_lags[0].seconds // empty'; }
stored_behind() { awk -v v="$(stored)" 'BEGIN { exit !(v + 0 >= 1) }'; }
wait_for 30 stored_behind || fail "status shows no stored lag while blocked"
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")"
assert_contains_re "$OUT" "lag: [0-9.]+ s, [0-9.]+ [kMG]?B \(observed [0-9]+ s ago\)"
assert_contains "$OUT" "phase $PHASE: replicating"

# The lock goes: the stream catches up, and every figure falls to 0.
# \q, not the end of the fifo: the processes started since hold it open too.
printf 'COMMIT;\n\\q\n' >&7
exec 7>&-
wait "$LOCKER"
caught_up() { [ "$(metric godwit_lag_bytes)" = 0 ] && [ "$(metric godwit_lag_seconds)" = 0 ]; }
wait_for 60 caught_up || fail "metrics still show a lag after the lock went: $(metric godwit_lag_bytes) B, $(metric godwit_lag_seconds) s"
assert_eq "$(psql_src "$DB" "SELECT count(*) FROM t")" "$(psql_tgt "$DB" "SELECT count(*) FROM t")" "rows after catching up"
stored_zero() { [ "$(stored)" = 0 ]; }
wait_for 30 stored_zero || fail "status still shows the lag stored while blocked: $(stored)"
wait_for 30 grep -q "lag 0.0 s, 0 B" "$REPL_ERR" || fail "the progress line shows no caught-up lag"
stop_bg "$REPL"
finish
