#!/usr/bin/env bash
# One runner per stream.  A phase's stream is run by one process at a time:
# - a second `replicate` of a phase whose replicate runs is refused at once (exit 2, naming the host and
#   pid of the first), and the first is not disturbed: the same server sessions before and after, no
#   reconnect or ended session in its stderr, and rows written afterwards still arrive;
# - a stopped (SIGSTOP) runner is alive: still refused; if its lock's session ends meanwhile, a new
#   runner takes over and the first stops with exit 2 once it runs again; after kill -9 a new replicate starts at once,
#   also when the dead runner's sessions are still open on the target (they go through a TCP proxy that
#   is frozen, so the server cannot notice the death): the dead runner's lock is told from a live one's
#   by its pid, its sessions are ended, and the tables end equal;
# - the same for failback (slot-based, PostgreSQL into PostgreSQL) after a cutover;
# - and a second failback through the changefeed webhook (PostgreSQL standing in for CockroachDB) is
#   refused while the first keeps applying what its webhook receives.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_one_runner) || abort_test "createdb"
register_dbs "$DB"
PHASE="one runner"
HOST=$(hostname)

setup_src "$DB" - <<'SQL'
CREATE TABLE items (id integer PRIMARY KEY, v text NOT NULL);
INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 100) i;
CREATE TABLE hooks (id integer PRIMARY KEY, v text NOT NULL);
INSERT INTO hooks SELECT i, 'h' || i FROM generate_series(1, 10) i;
SQL
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --tables public.items || abort_test "fetch failed"
gw_fetch 0 "$DB" "$DB" --phase hook --tables public.hooks || abort_test "fetch of phase hook failed"

# Rows with ids FROM..TO on the source; then waits until the target has them.
add_rows() {   # SIDE FROM TO
    local psql=psql_src; [ "$1" = tgt ] && psql=psql_tgt
    "$psql" "$DB" "INSERT INTO items SELECT i, 'w' || i FROM generate_series($2, $3) i" >/dev/null
}
rows_on() {   # SIDE FROM TO: how many of those ids the side has
    local psql=psql_src; [ "$1" = tgt ] && psql=psql_tgt
    "$psql" "$DB" "SELECT count(*) FROM items WHERE id BETWEEN $2 AND $3" 2>/dev/null
}
has_rows() { [ "$(rows_on "$@")" = $(($3 - $2 + 1)) ]; }
# The server sessions of a godwit command on a server, as "pid pid ...".
sessions_of() {   # SIDE COMMAND
    local psql=psql_src; [ "$1" = tgt ] && psql=psql_tgt
    "$psql" "$DB" "SELECT string_agg(pid::text, ' ' ORDER BY pid) FROM pg_stat_activity
        WHERE application_name LIKE 'godwit $2:%' AND datname = current_database()"
}
started() { grep -qE "starting from|resuming from" "$1"; }

# check_second_refused WHAT PID ERRFILE SIDE CMD: a second run (its result in RC/ERR) was refused at
# once naming where the first runs, and the first runs undisturbed.
check_second_refused() {
    local what=$1 pid=$2 err=$3
    note "$what: the second run said: $(cat "$ERR")"
    assert_contains "$ERR" "$HOST"
    assert_contains "$ERR" "pid $pid"
    assert_short_message "$ERR"
    is_running "$pid" || fail "$what: the first runner exited after the second was refused"
    assert_not_contains "$err" "reconnect"
    assert_not_contains "$err" "left by an earlier"
    assert_not_contains "$err" "terminating connection"
}

# ---------------------------------------------------------------- replicate
bg_replicate R1 "$DB" "$DB" --phase "$PHASE"
wait_for 60 started "$R1_ERR" || abort_test "replicate did not start: $(_gw_first_lines "$R1_ERR")"
add_rows src 1001 1010
wait_for 30 has_rows tgt 1001 1010 || fail "replicate: rows written before the second run did not arrive"
before_src=$(sessions_of src replicate)
before_tgt=$(sessions_of tgt replicate)

t0=$SECONDS
GW_CMD_TIMEOUT=30 gw_replicate 2 "$DB" "$DB" --phase "$PHASE"
[ $((SECONDS - t0)) -le 10 ] || fail "replicate: the second run took $((SECONDS - t0)) s to be refused"
check_second_refused replicate "$R1" "$R1_ERR"
assert_eq "$before_src" "$(sessions_of src replicate)" "replicate's sessions on the source after the second run"
assert_eq "$before_tgt" "$(sessions_of tgt replicate)" "replicate's sessions on the target after the second run"
add_rows src 1011 1100
wait_for 30 has_rows tgt 1011 1100 || fail "replicate: rows written after the second run did not arrive ($(rows_on tgt 1011 1100) of 90)"
check_second_refused replicate "$R1" "$R1_ERR"

# A stopped runner is still alive: refused.
kill -STOP "$R1"
GW_CMD_TIMEOUT=30 gw_replicate 2 "$DB" "$DB" --phase "$PHASE"
assert_contains "$ERR" "pid $R1"
# Its lock's session ends while it is stopped: a new runner takes the stream over, and the first,
# once it runs again, stops with exit 2 instead of fighting over the stream.
lock_session=$(psql_tgt "$DB" "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
    AND a.application_name LIKE 'godwit replicate:%'")
[ -n "$lock_session" ] || fail "no session of replicate holds an advisory lock on the target"
psql_tgt "$DB" "SELECT pg_terminate_backend($lock_session)" >/dev/null
bg_replicate R1B "$DB" "$DB" --phase "$PHASE"
wait_for 60 started "$R1B_ERR" || fail "replicate did not take over the stream whose lock was lost: $(_gw_first_lines "$R1B_ERR")"
kill -CONT "$R1"
wait_exit "$R1" 60
assert_eq 2 "$RC" "exit status of the replicate whose lock another runner took"
assert_contains "$R1_ERR" "another runner took the stream"
note "the replicate whose lock was taken said: $(grep -E "lock|runner" "$R1_ERR" | tail -2)"
add_rows src 1101 1110
wait_for 30 has_rows tgt 1101 1110 || fail "the replicate that took the stream over did not apply"
is_running "$R1B" || fail "the replicate that took the stream over exited: $(_gw_first_lines "$R1B_ERR")"
stop_bg "$R1B"
assert_eq 0 "$RC" "replicate stops cleanly after SIGTERM"

# ---- kill -9 with the dead runner's target sessions kept open by a frozen proxy
PPORT=$(free_port)
bg_start PROXY python3 -c '
import socket, sys, threading
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", int(sys.argv[1])))
lst.listen(64)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = lst.accept()
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for x, y in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(x, y), daemon=True).start()
' "$PPORT" "$(pg_port "$GW_TGT_SERVER")"
PROXIED_TGT="postgres://postgres@127.0.0.1:$PPORT/$DB"
proxy_up() { psql -X -A -t -q -d "$PROXIED_TGT" -c "SELECT 1" >/dev/null 2>&1; }
wait_for 20 proxy_up || abort_test "the TCP proxy did not start"
bg_start R2 "$GODWIT" replicate --source "$(src_url "$DB")" --target "$PROXIED_TGT" --phase "$PHASE"
R2_ERR=$ERR
wait_for 60 started "$R2_ERR" || abort_test "replicate through the proxy did not start: $(_gw_first_lines "$R2_ERR")"
add_rows src 1111 1200
wait_for 30 has_rows tgt 1111 1200 || fail "replicate through the proxy: rows did not arrive"
add_rows src 1201 1300
kill -STOP "$PROXY"
kill -9 "$R2"
wait "$R2" 2>/dev/null
dead_sessions=$(sessions_of tgt replicate)
[ -n "$dead_sessions" ] || fail "kill -9: the dead runner's sessions on the target were already gone (the proxy should keep them)"
note "kill -9: sessions of the dead runner still on the target: $dead_sessions"

t0=$SECONDS
bg_replicate R3 "$DB" "$DB" --phase "$PHASE"
add_rows src 1301 1400
wait_for 60 has_rows tgt 1201 1400 || fail "after kill -9: the new replicate did not apply the rows ($(rows_on tgt 1201 1400) of 200; is running: $(is_running "$R3" && echo yes || echo no)): $(_gw_first_lines "$R3_ERR")"
note "after kill -9: the new replicate applied the rows within $((SECONDS - t0)) s"
is_running "$R3" || fail "after kill -9: the new replicate exited: $(_gw_first_lines "$R3_ERR")"
assert_contains "$R3_ERR" "is gone"
note "the replicate after kill -9 said: $(grep -E "is gone|ended" "$R3_ERR")"
for p in $dead_sessions; do
    assert_eq 0 "$(psql_tgt postgres "SELECT count(*) FROM pg_stat_activity WHERE pid = $p")" "dead runner's session $p on the target"
done
kill -9 "$PROXY"; wait "$PROXY" 2>/dev/null
stop_bg "$R3"
assert_eq 0 "$RC" "replicate after kill -9 stops cleanly"
assert_tables_equal "$DB" "$DB" public.items id

# ---------------------------------------------------------------- failback (slot-based)
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE" --fence \
    --verify none || abort_test "cutover failed"
bg_start F1 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE"
F1_ERR=$ERR
wait_for 60 started "$F1_ERR" || abort_test "failback did not start: $(_gw_first_lines "$F1_ERR")"
add_rows tgt 2001 2010
wait_for 30 has_rows src 2001 2010 || fail "failback: rows written before the second run did not arrive"
before_src=$(sessions_of src failback)
before_tgt=$(sessions_of tgt failback)
t0=$SECONDS
GW_CMD_TIMEOUT=30 assert_exit 2 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE"
[ $((SECONDS - t0)) -le 10 ] || fail "failback: the second run took $((SECONDS - t0)) s to be refused"
check_second_refused failback "$F1" "$F1_ERR"
assert_eq "$before_src" "$(sessions_of src failback)" "failback's sessions on the source after the second run"
assert_eq "$before_tgt" "$(sessions_of tgt failback)" "failback's sessions on the target after the second run"
add_rows tgt 2011 2100
wait_for 30 has_rows src 2011 2100 || fail "failback: rows written after the second run did not arrive ($(rows_on src 2011 2100) of 90)"
check_second_refused failback "$F1" "$F1_ERR"

# kill -9, then an immediate restart applies at once.
add_rows tgt 2101 2200
kill -9 "$F1"
wait "$F1" 2>/dev/null
bg_start F2 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE"
F2=$F2 F2_ERR=$ERR
add_rows tgt 2201 2300
wait_for 60 has_rows src 2101 2300 || fail "failback after kill -9: rows did not arrive ($(rows_on src 2101 2300) of 200): $(_gw_first_lines "$F2_ERR")"
is_running "$F2" || fail "failback after kill -9 exited: $(_gw_first_lines "$F2_ERR")"
stop_bg "$F2"
assert_eq 0 "$RC" "failback after kill -9 stops cleanly"
assert_tables_equal "$DB" "$DB" public.items id

# ---------------------------------------------------------------- failback through the changefeed webhook
webhook_init hook
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase hook --fence \
    --changefeed --verify none || abort_test "cutover of phase hook failed"
webhook_failback() {   # PORT [bg VAR]
    local port=$1; shift
    local args=(failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase hook --changefeed
        --listen "127.0.0.1:$port" --tls-cert "$CERT" --tls-key "$KEY" --token-file "$TOKENF")
    if [ $# -gt 0 ]; then bg_start "$2" "$GODWIT" "${args[@]}"; else GW_CMD_TIMEOUT=30 assert_exit 2 "$GODWIT" "${args[@]}"; fi
}
HPORT=$(free_port)
webhook_failback "$HPORT" bg H1
H1_ERR=$ERR
wait_for 60 grep -q "webhook listening\|error" "$H1_ERR" || abort_test "webhook failback did not start listening"
grep -q "webhook listening" "$H1_ERR" || abort_test "webhook failback failed: $(_gw_first_lines "$H1_ERR")"
before_src=$(sessions_of src failback)
t0=$SECONDS
webhook_failback "$(free_port)"
[ $((SECONDS - t0)) -le 10 ] || fail "webhook failback: the second run took $((SECONDS - t0)) s to be refused"
check_second_refused "webhook failback" "$H1" "$H1_ERR"
assert_eq "$before_src" "$(sessions_of src failback)" "webhook failback's sessions on the source after the second run"
# The first still applies: a change and a resolved timestamp after the cursor reach the source.
CURSOR=$(psql_tgt "$DB" "SELECT failback_position FROM _godwit.phases WHERE name = 'hook'")
WALL=${CURSOR%%.*}
post() {   # JSON
    curl -sS --cacert "$CERT" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$1" "https://127.0.0.1:$HPORT/godwit/hook"
}
assert_eq 200 "$(post '{"payload": [{"after": {"id": 11, "v": "from the webhook"}, "before": null, "key": [11],
    "topic": "defaultdb.public.hooks", "updated": "'$((WALL + 1000000)).0000000000'"}], "length": 1}')" "HTTP status of a batch"
assert_eq 200 "$(post '{"resolved": "'$((WALL + 2000000)).0000000000'"}')" "HTTP status of a resolved timestamp"
hook_row() { [ "$(psql_src "$DB" "SELECT v FROM hooks WHERE id = 11")" = "from the webhook" ]; }
wait_for 30 hook_row || fail "webhook failback: the change posted after the second run did not reach the source"
check_second_refused "webhook failback" "$H1" "$H1_ERR"
stop_bg "$H1"
assert_eq 0 "$RC" "webhook failback stops cleanly"

finish
