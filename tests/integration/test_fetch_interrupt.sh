#!/usr/bin/env bash
# An interrupted fetch says what it left and what to run next (PostgreSQL -> PostgreSQL).  Each moment
# is reached by holding a lock or a transaction that the fetch waits on (no timing guesses):
# - A, SIGINT early (the fetch waits on the target's _godwit.phases, before it records anything);
# - B, SIGTERM before the snapshot (the phase is recorded as starting; the slot's creation waits for a
#   running transaction on the source);
# - C, SIGINT mid-copy (one worker, its first shard waits on a lock of the target table), with the source
#   URL given as env:NAME;
# - D, two SIGINTs while the slot's creation waits for a running transaction: the second ends the fetch at
#   once (while the transaction still runs) with the command to continue.
# Each time: exit 5, one line on stderr naming the phase's status as recorded, the shards copied so far
# and the slot kept, and the command to continue (the same command line, with --resume once something
# was recorded, and env:NAME where the command had it); the slot and phase row it names exist; running
# that command finishes the fetch: both tables equal on source and target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_source() {   # DB
    setup_src "$1" - <<'SQL'
CREATE TABLE big (id integer PRIMARY KEY, pad text);
INSERT INTO big SELECT i, repeat(md5(i::text), 3) FROM generate_series(1, 60000) i;
CREATE TABLE small (id integer PRIMARY KEY, v text);
INSERT INTO small SELECT i, 'v' || i FROM generate_series(1, 100) i;
ANALYZE;
SQL
}

# A session kept open on SERVER/DB: hold_open NAME SERVER DB; hold_sql NAME SQL; hold_close NAME.
hold_open() {
    local name=$1 fifo=$GW_OUT/$1.fifo fd
    rm -f "$fifo"; mkfifo "$fifo"
    PGAPPNAME="gw_hold_$name" psql -X -q -v ON_ERROR_STOP=1 -d "$(pg_url "$2" "$3")" -f - <"$fifo" \
        >"$GW_OUT/$name.log" 2>&1 &
    GW_BG_PIDS+=("$!")
    printf -v "HOLD_${name}_PID" '%s' "$!"
    exec {fd}>"$fifo"
    printf -v "HOLD_${name}_FD" '%s' "$fd"
}
hold_sql() { local v="HOLD_${1}_FD"; printf '%s\n' "$2" >&"${!v}"; }
hold_close() {
    local fd="HOLD_${1}_FD" pid="HOLD_${1}_PID"
    # \q: processes started meanwhile inherited the fifo, so psql would never see its end.
    printf 'COMMIT;\n\\q\n' >&"${!fd}"
    eval "exec ${!fd}>&-"
    wait "${!pid}" 2>/dev/null
}
# granted SERVER DB SQL-CONDITION-ON-pg_locks: a lock held by a gw_hold_ session matches.
held() {
    [ "$(psql_on "$1" "$2" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE a.application_name LIKE 'gw_hold_%' AND l.granted AND $3")" -ge 1 ]
}
# fetch_waits SERVER DB: a session of the fetch waits on a lock.
fetch_waits() {
    [ "$(psql_on "$1" "$2" "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'godwit fetch:%'
        AND wait_event_type = 'Lock'")" -ge 1 ]
}
# signal_taken PID: no signal is pending for the process (its handler ran).
signal_taken() {
    local p; p=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$p" ] && (( 16#$p == 0 ))
}
handlers_installed() {
    local mask; mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$mask" ] && (( 16#$mask & 2 ))
}
# PH: the phase of the moment under test (slot names are per server: each moment has its own).
phase_status() { psql_tgt "$1" "SELECT status FROM _godwit.phases WHERE name = '$PH'" 2>/dev/null; }
status_is() { [ "$(phase_status "$1")" = "$2" ]; }

# interrupted PID DB: waits for the fetch to exit and checks the line; sets NEXT (the command to run).
interrupted() {
    wait_exit "$1" 120
    assert_eq 5 "$RC" "exit status of the interrupted fetch"
    assert_eq 1 "$(grep -c "error\|warn" "$FERR")" "one error line (it has: $(_gw_first_lines "$FERR"))"
    assert_contains "$FERR" "error   fetch interrupted: "
    note "stderr: $(grep "interrupted" "$FERR")"
    NEXT=$(sed -n 's/.*; continue with: //p' "$FERR")
    note "continue with: $NEXT"
    [[ $NEXT == "godwit fetch "* ]] || abort_test "no command to continue with in: $(_gw_first_lines "$FERR")"
}
run_next() {   # [ENV=VALUE...]: runs $NEXT with the binary under test
    assert_exit 0 env "$@" bash -c "exec \"\$GODWIT\" ${NEXT#godwit }"
}
all_equal() {
    assert_tables_equal "$1" "$1" public.big t.id
    assert_tables_equal "$1" "$1" public.small t.id
    assert_eq fetched "$(phase_status "$1")" "phase status after the continued fetch"
}
fetch_bg() {   # VAR DB [ENV=VALUE...] -- ARGS...
    local var=$1 db=$2; shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    bg_start "$var" env "${envs[@]}" "$GODWIT" fetch --phase "$PH" --jobs 1 --shard-size 1 --tables public.big,public.small \
        "$@"
    FERR=$ERR
}

# ---------------------------------------------------------------- A: SIGINT early
PH=intr_a
A=$(new_dbs gw_intr_a) || abort_test "createdb"
register_dbs "$A"
make_source "$A"
setup_src "$A" "CREATE TABLE warm (id int PRIMARY KEY)"
gw_fetch 0 "$A" "$A" --phase warm --tables public.warm --no-stream || abort_test "fetch of phase warm"
hold_open a tgt "$A"
hold_sql a "BEGIN; LOCK TABLE _godwit.phases IN ACCESS EXCLUSIVE MODE;"
wait_for 30 held tgt "$A" "l.mode = 'AccessExclusiveLock'" || abort_test "lock on _godwit.phases"
fetch_bg F "$A" -- --source "$(src_url "$A")" --target "$(tgt_url "$A")"
wait_for 30 fetch_waits tgt "$A" || fail "A: the fetch did not wait on _godwit.phases"
handlers_installed "$F" || fail "A: signal handlers not installed"
kill -INT "$F"
hold_close a
interrupted "$F"
assert_contains "$FERR" "no phase recorded yet"
assert_not_contains "$FERR" "--resume"
assert_eq "" "$(slots_of src "$A")" "A: slots on the source"
run_next
all_equal "$A"

# ---------------------------------------------------------------- B: SIGTERM before the snapshot
PH=intr_b
B=$(new_dbs gw_intr_b) || abort_test "createdb"
register_dbs "$B"
make_source "$B"
hold_open b src "$B"
hold_sql b "BEGIN; SELECT txid_current();"
wait_for 30 held src "$B" "l.locktype = 'transactionid'" || abort_test "B: open transaction on the source"
fetch_bg F "$B" -- --source "$(src_url "$B")" --target "$(tgt_url "$B")"
wait_for 60 status_is "$B" starting || fail "B: the phase was not recorded as starting"
kill -TERM "$F"
hold_close b
interrupted "$F"
assert_contains_re "$FERR" "phase '$PH' (starting|fetching)"
slot=$(psql_src postgres "SELECT slot_name FROM pg_replication_slots WHERE database = '$B' AND slot_name LIKE 'godwit%'")
[ -n "$slot" ] && assert_contains "$FERR" "replication slot $slot kept"
assert_contains "$FERR" " --resume"
run_next
all_equal "$B"

# ---------------------------------------------------------------- C: SIGINT mid-copy, source from env:
PH=intr_c
C=$(new_dbs gw_intr_c) || abort_test "createdb"
register_dbs "$C"
make_source "$C"
hold_open c1 src "$C"
hold_sql c1 "BEGIN; SELECT txid_current();"
wait_for 30 held src "$C" "l.locktype = 'transactionid'" || abort_test "C: open transaction on the source"
fetch_bg F "$C" GW_INTR_SRC="$(src_url "$C")" -- --source env:GW_INTR_SRC --target "$(tgt_url "$C")"
wait_for 60 status_is "$C" starting || fail "C: the phase was not recorded as starting"
# The target's tables exist now; the first shard's COPY into big will wait on this lock.
hold_open c2 tgt "$C"
hold_sql c2 "BEGIN; LOCK TABLE big IN SHARE MODE;"
wait_for 30 held tgt "$C" "l.mode = 'ShareLock'" || abort_test "C: lock on the target table"
hold_close c1
wait_for 60 fetch_waits tgt "$C" || fail "C: the copy did not wait on the target table"
total=$(psql_tgt "$C" "SELECT count(*) FROM _godwit.fetch_progress WHERE phase = '$PH'")
assert_ge 3 "$total" "C: shards planned"
kill -INT "$F"
hold_close c2
interrupted "$F"
done_now=$(psql_tgt "$C" "SELECT count(*) FILTER (WHERE done) FROM _godwit.fetch_progress WHERE phase = '$PH'")
assert_contains "$FERR" "phase '$PH' fetching, $done_now of $total shards copied"
[ "$done_now" -lt "$total" ] || fail "C: every shard was copied although interrupted ($done_now of $total)"
assert_eq fetching "$(phase_status "$C")" "C: phase status after the interruption"
slot=$(psql_src postgres "SELECT slot_name FROM pg_replication_slots WHERE database = '$C' AND slot_name LIKE 'godwit%'")
assert_ne "" "$slot" "C: the slot on the source"
assert_contains "$FERR" "replication slot $slot kept"
assert_contains "$FERR" "--source env:GW_INTR_SRC"
assert_contains "$FERR" " --resume"
run_next GW_INTR_SRC="$(src_url "$C")"
all_equal "$C"

# ---------------------------------------------------------------- D: a second SIGINT while a step waits
PH=intr_d
D=$(new_dbs gw_intr_d) || abort_test "createdb"
register_dbs "$D"
make_source "$D"
hold_open d src "$D"
hold_sql d "BEGIN; SELECT txid_current();"
wait_for 30 held src "$D" "l.locktype = 'transactionid'" || abort_test "D: open transaction on the source"
fetch_bg F "$D" -- --source "$(src_url "$D")" --target "$(tgt_url "$D")"
wait_for 60 status_is "$D" starting || fail "D: the phase was not recorded as starting"
# The step that waits: the snapshot, behind the open transaction (the target's objects come before it).
wait_for 60 fetch_waits src "$D" || fail "D: the fetch does not wait for the open transaction"
kill -INT "$F"
wait_for 10 signal_taken "$F" || fail "D: the first SIGINT is still pending"
kill -INT "$F"
wait_exit "$F" 30
assert_eq 5 "$RC" "D: exit status after the second signal"
held src "$D" "l.locktype = 'transactionid'" || fail "D: the fetch did not end while its step was still waiting"
assert_contains "$FERR" "stopped at once by a second signal"
note "stderr: $(grep "second signal" "$FERR")"
NEXT=$(sed -n 's/.*; continue with: //p' "$FERR")
[[ $NEXT == "godwit fetch "*" --resume" ]] || fail "D: no command to continue with in: $(_gw_first_lines "$FERR")"
hold_close d
run_next
all_equal "$D"
finish
