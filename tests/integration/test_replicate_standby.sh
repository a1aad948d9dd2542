#!/usr/bin/env bash
# A hot standby of one stream (two replicas of a Deployment, as docs/kubernetes runs them), outside
# Kubernetes with two processes: under pgbench, replicate A runs the stream; B, started with --standby,
# says it stands by and applies nothing; A is killed with -9 mid-stream and B takes over by itself,
# carrying on from A's checkpoint: every pgbench table equal, pgbench_history with no duplicate.  A third
# process with --standby, stopped by SIGTERM while it waits, exits 0 having done nothing; without
# --standby a second runner is still refused (exit 2).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_standby) || abort_test "createdb"
register_dbs "$DB"
PHASE=standby
pgbench_src "$DB" -i -s 1 -q || abort_test "pgbench -i failed"
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" || abort_test "fetch failed"
STREAM=$(stream_name "$DB" "$PHASE")

bg_pgbench PGB "$DB" -c 2 -j 2 -R 300 -T 12 -n
bg_replicate A "$DB" "$DB" --phase "$PHASE"
applied() { [ -n "$(checkpoint_of "$DB" "$STREAM" 2>/dev/null)" ]; }
wait_for 30 applied || abort_test "replicate A applied nothing: $(_gw_first_lines "$A_ERR")"

bg_replicate B "$DB" "$DB" --phase "$PHASE" --standby
wait_for 30 grep -q "standby: its forward replication runs on host" "$B_ERR" ||
    fail "B does not say it stands by: $(_gw_first_lines "$B_ERR")"
assert_contains "$B_ERR" "pid $A"
is_running "$B" || fail "the standby exited while A runs"
# Without --standby, a second runner is refused as before.
gw_replicate 2 "$DB" "$DB" --phase "$PHASE"
assert_contains "$ERR" "already runs on host"

# A dies; B takes the stream over from A's checkpoint, while pgbench still writes.
before=$(checkpoint_of "$DB" "$STREAM")
kill -9 "$A"
wait "$A" 2>/dev/null
note "A killed at checkpoint $before"
moved() { [ "$(checkpoint_of "$DB" "$STREAM" 2>/dev/null)" != "$before" ]; }
wait_for 60 moved || fail "B did not take over: $(tail -c 400 "$B_ERR")"
assert_not_contains "$B_ERR" "error"
wait "$PGB"
assert_eq 0 "$?" "pgbench exit status"
wait_for 60 pgbench_in_sync "$DB" "$DB" || fail "the target did not catch up with B"
assert_pgbench_equal "$DB" "$DB"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM (SELECT 1 FROM pgbench_history GROUP BY tid, bid, aid, delta, mtime, filler HAVING count(*) > 1) d")" \
    "groups of duplicate rows in pgbench_history on the target"

# A standby stopped while it waits: exit 0, nothing done.
bg_replicate C "$DB" "$DB" --phase "$PHASE" --standby
wait_for 30 grep -q "standby:" "$C_ERR" || fail "C does not stand by: $(_gw_first_lines "$C_ERR")"
stop_bg "$C"
assert_eq 0 "$RC" "a standby stopped while waiting exits 0"
assert_contains "$C_ERR" "standby stopped before taking over"
stop_bg "$B"
assert_eq 0 "$RC" "B stops cleanly"
finish
