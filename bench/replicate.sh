#!/usr/bin/env bash
# bench/replicate.sh: godwit replicate side by side with PostgreSQL's own logical replication.
#
#   GODWIT=/abs/path/build/godwit bash bench/replicate.sh [--scale N] [--txns N] [--rate TPS]
#                                                        [--seconds S] [--rounds R] [--target-delay MS]
#
# Defaults: --scale 10 (pgbench), --txns 20000 (backlog, tpcb-like, 4 clients), --rate 2000,
# --seconds 20 and --rounds 2 (steady load for the lag measurement), no --target-delay.
#
# On two throwaway PostgreSQL 15 servers (tests/servers.sh: loopback, fsync=off,
# synchronous_commit=off), the source gets pgbench -i plus a heartbeat table.  Two target
# databases start from the same data: "g" through `godwit fetch` (its slot), "n" through
# `godwit fetch --no-stream`, then a native subscription on "n" (copy_data = false, its slot
# created before any write, left disabled).  Then, one after the other, on the same backlog:
#
#   backlog  pgbench -c 4 -t TXNS on the source while nothing replicates, then one heartbeat
#            row, the backlog's last transaction; then the time `godwit replicate
#            --stop-when-caught-up` takes to apply it, and the time the native subscription takes
#            once enabled: for both, until that last row is on the target (polled every 20 ms by
#            one function), not when the replicator reports it (the native subscriber confirms
#            its position to the source late).  Peak RSS of godwit (GNU time).
#   lag      pgbench -R RATE -T SECONDS on the source while one replicator runs; a heartbeat
#            row (clock_timestamp()) is inserted on the source every 20 ms.  On the target, a
#            deferred constraint trigger (ENABLE ALWAYS, so it fires for the native apply worker
#            too) stamps each heartbeat with the target's clock as its transaction commits:
#            lag = arrival - heartbeat, exact per heartbeat; median and 99th percentile of the
#            heartbeats written under steady load (the load's first and last 0.5 s left out).
#            ROUNDS windows each, alternating godwit, native, godwit, ... (each with the other
#            one stopped), so that both meet the same drift of the machine; the figures pool
#            every window's heartbeats, and each window's own p99 is printed too.
#            --target-delay MS: godwit reaches the target through bench/delay_proxy.py, which
#            holds every chunk MS ms in each direction (a round trip of 2 x MS plus the proxy's
#            own time), as when godwit runs away from the target; the native apply worker runs
#            inside the target and is not delayed.  Backlog and lag are then godwit's through it.
#   big txn  one transaction updating every pgbench_accounts row, applied by godwit: its peak RSS.
#   failback `godwit cutover --fence --verify none` hands the phase over (failback's slot on the
#            target; failback runs only for a phase cut over), then the same backlog
#            (pgbench -t on the target while nothing streams, a last heartbeat, then failback
#            --stop-when-caught-up until that row is on the source)
#            and the same lag run (load and heartbeats on the target, arrivals stamped on the
#            source), compared with godwit's forward figures above (goal: within 20%).
#
# Equality is checked after each run (md5 of every table in key order on source and target).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="GODWIT=${GODWIT:-} bash bench/replicate.sh $*"
scale=10 txns=20000 rate=2000 seconds=20 rounds=2 delay=
while [ $# -gt 0 ]; do
    case $1 in
        --scale) scale=$2; shift 2 ;;
        --txns) txns=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --target-delay) delay=$2; shift 2 ;;
        -h|--help) sed -n '2,42p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/replicate.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
GODWIT=${GODWIT:-$root/build/godwit}
[ -x "$GODWIT" ] || { echo "bench/replicate.sh: $GODWIT is not built (make)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "bench/replicate.sh: GNU time missing (make deps)" >&2; exit 2; }

. "$root/tests/servers.sh"
pg_server_start bsrc shared_buffers=512MB max_wal_size=4GB wal_sender_timeout=60s >/dev/null
pg_server_start btgt shared_buffers=512MB max_wal_size=4GB max_logical_replication_workers=4 >/dev/null
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
SRC=$(pg_url bsrc bench) TG=$(pg_url btgt g) TN=$(pg_url btgt n)
q "$(pg_url bsrc postgres)" -c "CREATE DATABASE bench"
q "$(pg_url btgt postgres)" -c "CREATE DATABASE g" -c "CREATE DATABASE n"
# Inside the servers' directory, which servers.sh's EXIT trap removes (a trap of our own would replace it).
work=$GW_TMP/bench-replicate
mkdir -p "$work"

echo "# $cmdline"
echo "# $(date -u +%FT%TZ), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(q "$SRC" -c 'SHOW server_version')"

pgbench -q -i -s "$scale" "$SRC" >/dev/null 2>&1
q "$SRC" -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" \
    -c "CREATE TABLE bench_heartbeat (id bigserial PRIMARY KEY, ts timestamptz NOT NULL)"
"$GODWIT" fetch -q --source "$SRC" --target "$TG" >/dev/null
"$GODWIT" fetch -q --no-stream --source "$SRC" --target "$TN" >/dev/null
for db in "$TG" "$TN"; do
    q "$db" -c "CREATE TABLE bench_arrivals (id bigint, ts timestamptz, arrived timestamptz)" \
        -c "CREATE FUNCTION bench_arrive() RETURNS trigger LANGUAGE plpgsql AS
            \$\$ BEGIN INSERT INTO public.bench_arrivals VALUES (NEW.id, NEW.ts, clock_timestamp()); RETURN NULL; END \$\$" \
        -c "CREATE CONSTRAINT TRIGGER bench_arrive AFTER INSERT ON bench_heartbeat
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_arrive()" \
        -c "ALTER TABLE bench_heartbeat ENABLE ALWAYS TRIGGER bench_arrive"
done
# godwit's target after fetch: the target itself, or the delay proxy in front of it (--target-delay).
TGW=$TG
if [ -n "$delay" ]; then
    python3 "$here/delay_proxy.py" "$work/proxy.port" "$BTGT_PORT" "$delay" &
    until [ -s "$work/proxy.port" ]; do sleep 0.05; done
    TGW=${TG/:$BTGT_PORT\//:$(cat "$work/proxy.port")/}
    echo "# godwit reaches the target through bench/delay_proxy.py: $delay ms each way"
fi
q "$SRC" -c "CREATE PUBLICATION bench_native FOR TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, bench_heartbeat"
q "$TN" -c "CREATE SUBSCRIPTION bench_native CONNECTION 'host=127.0.0.1 port=$BSRC_PORT dbname=bench user=postgres' PUBLICATION bench_native WITH (copy_data = false, enabled = false)"

check_equal() {   # db label
    local t k a b bad=0
    for t in pgbench_accounts:aid pgbench_branches:bid pgbench_tellers:tid "pgbench_history:tid,bid,aid,delta,mtime"; do
        k=${t#*:}; t=${t%%:*}
        a=$(q "$SRC" -c "SELECT md5(string_agg(x::text, ',' ORDER BY $k)) || count(*) FROM $t x")
        b=$(q "$1" -c "SELECT md5(string_agg(x::text, ',' ORDER BY $k)) || count(*) FROM $t x")
        [ "$a" = "$b" ] || { echo "!! $2: $t differs from the source" >&2; bad=1; }
    done
    return $bad
}
now() { date +%s.%N; }
# The end of a backlog, the same for every replicator: the backlog's last row is on the target.
backlog_end() {   # target-db heartbeat-id [replicator-pid]: waits for that row, prints the time it was seen
    until [ "$(q "$1" -c "SELECT count(*) FROM bench_heartbeat WHERE id = $2")" = 1 ]; do
        if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
            echo "bench/replicate.sh: the replicator exited before heartbeat $2 reached the target" >&2
            return 1
        fi
        sleep 0.02
    done
    now
}
slot_confirmed_ge() {   # slot lsn
    [ "$(q "$SRC" -c "SELECT coalesce(confirmed_flush_lsn >= '$2'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = '$1'")" = t ]
}

# ---- backlog
pgbench -n -c 4 -j 2 -t "$((txns / 4))" "$SRC" >/dev/null 2>&1
# The backlog's last transaction: once a replicator has applied it, it has applied the whole backlog.
backlog_last=$(q "$SRC" -c "INSERT INTO bench_heartbeat (ts) VALUES (clock_timestamp()) RETURNING id")
goal=$(q "$SRC" -c "SELECT pg_current_wal_insert_lsn()")
wal=$(q "$SRC" -c "SELECT pg_size_pretty(pg_wal_lsn_diff('$goal', confirmed_flush_lsn)) FROM pg_replication_slots WHERE database = current_database() AND slot_name LIKE 'godwit\_%' AND slot_name NOT LIKE '%\_failback'")
t0=$(now)
/usr/bin/time -f '%e %M' -o "$work/g.time" "$GODWIT" replicate -q --source "$SRC" --target "$TGW" --stop-when-caught-up &
gpid=$!
t1=$(backlog_end "$TG" "$backlog_last" "$gpid")
wait "$gpid"
g_backlog=$(echo "$t1 - $t0" | bc -l)
g_rss=$(awk '{print int($2/1024)}' "$work/g.time")
check_equal "$TG" godwit

t0=$(now)
q "$TN" -c "ALTER SUBSCRIPTION bench_native ENABLE"
t1=$(backlog_end "$TN" "$backlog_last")
n_backlog=$(echo "$t1 - $t0" | bc -l)
check_equal "$TN" native

# ---- lag under steady load
# The database the load and the heartbeats are written to: the source, then the target for failback.
HB=$SRC
beat() {   # arrival-db: inserts one heartbeat on $HB and waits until the arrival database has it
    local id
    id=$(q "$HB" -c "INSERT INTO bench_heartbeat (ts) VALUES (clock_timestamp()) RETURNING id")
    until [ "$(q "$1" -c "SELECT count(*) FROM bench_arrivals WHERE id = $id")" = 1 ]; do sleep 0.02; done
    echo "$id"
}
lag_window() {   # target-db (replicator already running and streaming): prints the heartbeat ids around one window
    local first last hb t0 t1
    first=$(beat "$1")
    # \watch repeats the query before it in the same script; psql runs directly so that kill reaches it.
    printf 'INSERT INTO bench_heartbeat (ts) VALUES (clock_timestamp())\n\\watch 0.02\n' >"$work/hb.sql"
    psql -X -q -A -t "$HB" -f "$work/hb.sql" >/dev/null 2>&1 &
    hb=$!
    t0=$(q "$HB" -c "SELECT clock_timestamp()")
    pgbench -n -c 4 -j 2 -R "$rate" -T "$seconds" "$HB" >/dev/null 2>&1
    t1=$(q "$HB" -c "SELECT clock_timestamp()")
    kill "$hb" 2>/dev/null; wait "$hb" 2>/dev/null || true
    last=$(beat "$1")
    # Only heartbeats written under steady load count: once the load stops, the source's WAL writer
    # is no longer woken by full pages, and the last heartbeats wait up to half a second for a
    # flush whichever replicator runs (seen in both).  The load's first and last half second are left out.
    q "$HB" -c "SELECT coalesce(min(id) - 1, $first) || ' ' || coalesce(max(id) + 1, $last) FROM bench_heartbeat
                WHERE id > $first AND id < $last
                  AND ts BETWEEN '$t0'::timestamptz + interval '0.5 s' AND '$t1'::timestamptz - interval '0.5 s'"
}
lag_stats() {   # target-db "first last"...: median, p99 and count of the heartbeats of those windows
    local db=$1 where="" w
    shift
    for w in "$@"; do where="$where${where:+ OR }(id > ${w% *} AND id < ${w#* })"; done
    q "$db" -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 4),
                       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 4), count(*)
                FROM (SELECT extract(epoch FROM arrived - ts) AS l FROM bench_arrivals WHERE $where) x" | tr '|' ' '
}
window_p99s() {   # target-db "first last"...: each window's own p99
    local w out=""
    local db=$1
    shift
    for w in "$@"; do out="$out $(lag_stats "$db" "$w" | cut -d' ' -f2)"; done
    echo "${out# }"
}
native_catch_up() {
    local goal
    goal=$(q "$SRC" -c "SELECT pg_current_wal_insert_lsn()")
    until slot_confirmed_ge bench_native "$goal"; do sleep 0.02; done
}
q "$TN" -c "ALTER SUBSCRIPTION bench_native DISABLE"
g_windows=() n_windows=()
# Each window starts once a fresh heartbeat has reached the target (lag_window), so both start streaming.
for ((round = 1; round <= rounds; round++)); do
    "$GODWIT" replicate -q --source "$SRC" --target "$TGW" 2>"$work/g.log" &
    gpid=$!
    g_windows+=("$(lag_window "$TG")")
    kill -TERM "$gpid"; wait "$gpid" || true
    "$GODWIT" replicate -q --source "$SRC" --target "$TGW" --stop-when-caught-up
    # The subscription sat out godwit's window: it catches up first, so both windows start level.
    q "$TN" -c "ALTER SUBSCRIPTION bench_native ENABLE"
    native_catch_up
    n_windows+=("$(lag_window "$TN")")
    native_catch_up
    q "$TN" -c "ALTER SUBSCRIPTION bench_native DISABLE"
done
# The last native window's load is still to be applied by godwit.
"$GODWIT" replicate -q --source "$SRC" --target "$TGW" --stop-when-caught-up
check_equal "$TG" godwit
check_equal "$TN" native
read -r g_med g_p99 g_n < <(lag_stats "$TG" "${g_windows[@]}") || { echo "bench/replicate.sh: no lag samples (godwit)" >&2; exit 1; }
read -r n_med n_p99 n_n < <(lag_stats "$TN" "${n_windows[@]}") || { echo "bench/replicate.sh: no lag samples (native)" >&2; exit 1; }
g_p99s=$(window_p99s "$TG" "${g_windows[@]}")
n_p99s=$(window_p99s "$TN" "${n_windows[@]}")

# ---- one big transaction
q "$SRC" -c "UPDATE pgbench_accounts SET abalance = abalance + 1, filler = md5(aid::text)"
big=$(q "$SRC" -c "SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)) FROM pg_replication_slots WHERE database = current_database() AND slot_name LIKE 'godwit\_%' AND slot_name NOT LIKE '%\_failback'")
/usr/bin/time -f '%e %M' -o "$work/big.time" "$GODWIT" replicate -q --source "$SRC" --target "$TGW" --stop-when-caught-up
read -r big_s big_kb < "$work/big.time"
check_equal "$TG" godwit

# ---- failback: the same backlog and load written on the target, streamed back into the source
# cutover hands the phase over (forward is drained already) and creates failback's slot on the target.
q "$TN" -c "ALTER SUBSCRIPTION bench_native DISABLE" >/dev/null
"$GODWIT" cutover -q --source "$SRC" --target "$TGW" --phase default --fence --verify none >/dev/null
q "$TG" -c "SELECT setval('bench_heartbeat_id_seq', (SELECT max(id) + 1000000 FROM bench_heartbeat))" >/dev/null
q "$SRC" -c "CREATE TABLE bench_arrivals (id bigint, ts timestamptz, arrived timestamptz)" \
    -c "CREATE FUNCTION bench_arrive() RETURNS trigger LANGUAGE plpgsql AS
        \$\$ BEGIN INSERT INTO public.bench_arrivals VALUES (NEW.id, NEW.ts, clock_timestamp()); RETURN NULL; END \$\$" \
    -c "CREATE CONSTRAINT TRIGGER bench_arrive AFTER INSERT ON bench_heartbeat
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_arrive()" \
    -c "ALTER TABLE bench_heartbeat ENABLE ALWAYS TRIGGER bench_arrive" >/dev/null
pgbench -n -c 4 -j 2 -t "$((txns / 4))" "$TG" >/dev/null 2>&1
backlog_last=$(q "$TG" -c "INSERT INTO bench_heartbeat (ts) VALUES (clock_timestamp()) RETURNING id")
t0=$(now)
/usr/bin/time -f '%e %M' -o "$work/f.time" "$GODWIT" failback -q --source "$SRC" --target "$TGW" --stop-when-caught-up &
fpid=$!
t1=$(backlog_end "$SRC" "$backlog_last" "$fpid")
wait "$fpid"
f_backlog=$(echo "$t1 - $t0" | bc -l)
check_equal "$TG" failback
HB=$TG
"$GODWIT" failback -q --source "$SRC" --target "$TGW" 2>"$work/f.log" &
fpid=$!
read -r f_med f_p99 f_n < <(lag_stats "$SRC" "$(lag_window "$SRC")") || { echo "bench/replicate.sh: no lag samples (failback)" >&2; exit 1; }
kill -TERM "$fpid"; wait "$fpid" || true
"$GODWIT" failback -q --source "$SRC" --target "$TGW" --stop-when-caught-up
check_equal "$TG" failback

printf '\n%-34s %12s %12s %10s\n' "measure" "godwit" "native" "ratio"
printf '%-34s %11.2fs %11.2fs %9.2fx  (native/godwit; goal >= 1.5)\n' "backlog apply ($txns txns, $wal WAL)" "$g_backlog" "$n_backlog" "$(echo "$n_backlog / $g_backlog" | bc -l)"
printf '%-34s %11.3fs %11.3fs\n' "lag median at ${rate} tps" "$g_med" "$n_med"
printf '%-34s %11.3fs %11.3fs %9.2fx  (godwit/native; goal <= 1.0)\n' "lag p99 at ${rate} tps" "$g_p99" "$n_p99" "$(echo "$g_p99 / $n_p99" | bc -l)"
printf '%-34s %10d MB\n' "godwit peak RSS, backlog" "$g_rss"
printf '%-34s %10d MB   (%s WAL, %.1f s; goal < 64 MB)\n' "godwit peak RSS, one big txn" "$((big_kb / 1024))" "$big" "$big_s"
echo "(lag: $rounds windows of ${seconds} s each, alternating; samples: godwit $g_n, native $n_n; each window's p99: godwit $g_p99s, native $n_p99s)"
printf '\n%-34s %12s %12s %10s\n' "failback (target -> source)" "failback" "forward" "ratio"
printf '%-34s %11.2fs %11.2fs %9.2fx  (failback/forward; goal <= 1.2)\n' "backlog apply ($txns txns)" "$f_backlog" "$g_backlog" "$(echo "$f_backlog / $g_backlog" | bc -l)"
printf '%-34s %11.3fs %11.3fs\n' "lag median at ${rate} tps" "$f_med" "$g_med"
printf '%-34s %11.3fs %11.3fs %9.2fx  (failback/forward)\n' "lag p99 at ${rate} tps" "$f_p99" "$g_p99" "$(echo "$f_p99 / $g_p99" | bc -l)"
echo "(failback lag samples: $f_n)"
