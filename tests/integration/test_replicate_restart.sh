#!/usr/bin/env bash
# replicate survives its servers restarting.  On servers of its own (so that restarting and
# stopping them leaves the shared ones alone):
#   A. the SOURCE restarts (fast shutdown) while replicate streams in the background under pgbench
#      writes: replicate reconnects by itself (and says so on stderr), keeps running, and once the
#      writes stop the target is in step.  A2: the source is down for 1 to 2.5 s (failed attempts).
#   B. the same with the TARGET restarting; B2: the target crashes (immediate shutdown) and stays
#      down a moment.  Then SIGTERM, --stop-when-caught-up, and every table is equal.
#   C. the target down for good: replicate --retry-for 3 gives up with exit 4 in reasonable time.
#   D. the source down for good: replicate --retry-for 3 gives up with exit 3 in reasonable time.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_server_start rsrc || abort_test "could not start a source server"
pg_server_start rtgt || abort_test "could not start a target server"
GW_SRC_SERVER=rsrc
GW_TGT_SERVER=rtgt
# (No register_dbs: these servers and their databases go away with the test.)
DB=$(new_dbs gw_repl_restart) || abort_test "createdb"

pgbench_src "$DB" -i -s 1 -q || abort_test "pgbench -i failed"
gw_fetch 0 "$DB" "$DB" --jobs 2 || abort_test "fetch failed"

start_replicator() { bg_replicate REPL "$DB" "$DB" --retry-for 60; }
reconnects() { grep -ciE 'reconnect' "$REPL_ERR"; }
start_replicator

# step NAME ACTION...: pgbench writes to the source (bounded rate) while ACTION happens to a server
# at a random moment; then replicate, still running, must bring the target in step by itself and
# must have logged a reconnect.  If it died, that is a failure, and a new one is started so that
# the next steps still run.
step() {
    local name=$1; shift
    local before; before=$(reconnects)
    bg_pgbench PGB "$DB" -c 2 -j 2 -R 300 -T 4 -n
    rand_sleep 800 2000
    "$@" || abort_test "$name: could not do '$*'"
    note "$name: done: $*"
    wait "$PGB"; local pgb_rc=$?
    note "$name: pgbench exit $pgb_rc ($(grep -ahE '^number of transactions actually processed' "$PGB_OUT"))"
    # pgbench's clients abort when the source goes away: more writes after it is back.
    [ "$pgb_rc" = 0 ] || pgbench_src "$DB" -c 2 -j 2 -R 300 -T 1 -n || fail "$name: pgbench after the source came back failed"
    if ! wait_for 30 synced_or_gone "$REPL" pgbench_in_sync "$DB" "$DB" || ! is_running "$REPL"; then
        local st=running
        if ! is_running "$REPL"; then wait "$REPL"; st="exited with status $?"; fi
        fail "$name: replicate did not bring the target in step by itself within 30s of the writes ending (replicate $st; history rows: source $(psql_src "$DB" "SELECT count(*) FROM pgbench_history"), target $(psql_tgt "$DB" "SELECT count(*) FROM pgbench_history" 2>&1))"
        _gw_dump "$REPL_ERR" "replicate stderr"
        if [ "$st" != running ]; then start_replicator; return; fi
    fi
    local after; after=$(reconnects)
    [ "$after" -gt "$before" ] || fail "$name: replicate's stderr mentions no reconnect (reconnect lines: $before before, $after after)"
}
down_for_a_while() {   # NAME MODE: stopped, 1 to 2.5 s down, started again
    pg_server_halt "$1" "$2" && rand_sleep 1000 2500 && pg_server_resume "$1"
}

step "A: source restart" pg_server_restart rsrc fast
step "A2: source down for a while" down_for_a_while rsrc fast
step "B: target restart" pg_server_restart rtgt fast
# A crash of the target: its open apply transaction is lost, and so is any commit it had not made
# durable yet; the source must not have been told to discard those.
step "B2: target crash (immediate shutdown), down for a while" down_for_a_while rtgt immediate

stop_bg "$REPL" 30
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
gw_replicate 0 "$DB" "$DB" --stop-when-caught-up
assert_pgbench_equal "$DB" "$DB"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM (SELECT 1 FROM pgbench_history GROUP BY tid, bid, aid, delta, mtime, filler HAVING count(*) > 1) d" 2>&1)" \
    "groups of duplicate rows in pgbench_history on the target"

# ---- C: the target down for good
pg_server_halt rtgt || abort_test "could not stop the target"
t0=$SECONDS
GW_CMD_TIMEOUT=60 gw_replicate 4 "$DB" "$DB" --retry-for 3 --stop-when-caught-up
el=$((SECONDS - t0))
note "C: replicate gave up after ${el}s"
[ "$el" -le 20 ] || fail "C: replicate --retry-for 3 with the target down took ${el}s to give up"
assert_contains_re "$ERR" "target|$(pg_port rtgt)"
pg_server_resume rtgt || abort_test "could not start the target again"

# ---- D: the source down for good
pg_server_halt rsrc || abort_test "could not stop the source"
t0=$SECONDS
GW_CMD_TIMEOUT=60 gw_replicate 3 "$DB" "$DB" --retry-for 3 --stop-when-caught-up
el=$((SECONDS - t0))
note "D: replicate gave up after ${el}s"
[ "$el" -le 20 ] || fail "D: replicate --retry-for 3 with the source down took ${el}s to give up"
assert_contains_re "$ERR" "source|$(pg_port rsrc)"
assert_ge 1 "$(grep -ciE 'reconnect|retry|attempt' "$ERR")" "D: lines of stderr logging the reconnect attempts"

finish
