#!/usr/bin/env bash
# bench/cutover.sh: write downtime of `godwit cutover --fence`, phase by phase, under a steady
# write load to every phase.
#
#   GODWIT=/abs/path/build/godwit bash bench/cutover.sh [--size-mb 1024] [--rate 50]
#                  [--dwell 8] [--warmup 10] [--full-phases a,b,c,d] [--sample-rows 1000]
#                  [--orders-first] [--no-region-index]
#
# Two throwaway PostgreSQL 15 servers (tests/servers.sh: loopback, fsync=off,
# synchronous_commit=off, full_page_writes=off, wal_level=logical; plus the bulk-load settings of
# bench/fetch.sh, autovacuum off).  The source holds a shop of four regions a, b, c, d:
#   orders     (id, region, customer_id, amount, payload ~1 kB, updated_at, created_at), rows of
#              the four regions interleaved by id, primary key on id and an index on (region, id)
#              (--no-region-index: none; customers too);
#              --size-mb of it in total (default 1024: four phases of ~256 MB each);
#   customers  (id, region, name, balance), 10,000 per region.
# A plan (one phase per region: both tables, `region = 'X'`) is written next to the servers.
#
# The load: one pgbench per region (`-c 1 -R RATE`, --rate per region, default 50 tps), each
# transaction updates one customer of the region, then updates one existing order of the region
# and inserts a new order (~1 kB).  (--orders-first: the orders first, then the customer.  The
# fence takes its table locks in the order customers, orders, one table after the other in one
# transaction: a load that locks the tables in the other order deadlocks with it, see
# bench/RESULTS.md.)  A region's load goes to the source until its cutover; the fence makes it
# fail there (pgbench's client stops on the error); right after `godwit cutover` returns, the
# region's pgbench starts again on the target.  A region's pgbench stopped by any other error is
# reported (and restarted) before each cutover and at the end of a round.
#
# Round 1 (--verify sample): godwit fetch of the four phases into target database `r1` (before
# the load starts), `godwit replicate` of each in the background, the load on, --warmup seconds,
# then for each region in turn: `godwit cutover --fence --verify sample --format json`, its
# pgbench moved to the target, `godwit failback` of the phase in the background, --dwell seconds.
# The load stops; each failback is stopped and run once more with --stop-when-caught-up; every
# region's rows are compared by md5 computed by each server (source vs r1); `godwit finish` of
# every phase (fences and failback slots gone: the source is the system of record again).
#
# Round 2 (--verify full): the same with fresh phases (`a_full`, ...; target database `r2`), each
# region in --full-phases cut over with `--verify full` (the others with sample), then the same
# md5 check (source vs r2).
#
# Figures per phase, from cutover's JSON: write_downtime_seconds (fence to failback prepared,
# godwit's own measure) and verify_seconds.  Also, from the data: the longest gap between two
# orders inserted by the region's load (by created_at = clock_timestamp() of the insert, on
# whichever server took it): what the application saw, including this script's switch of pgbench
# to the target (a pgbench start) and pgbench's Poisson schedule at --rate.
# Goals: write downtime < 1 s per phase with --verify sample; < 10 s with --verify full for a
# 250 MB phase.  Prints a Markdown table for bench/RESULTS.md.  Exit 1 if a step fails or a
# region's rows differ.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="GODWIT=${GODWIT:-} bash bench/cutover.sh $*"
size_mb=1024 rate=50 dwell=8 warmup=10 full_phases=a,b,c,d sample_rows=1000 orders_first=0 region_index=1
while [ $# -gt 0 ]; do
    case $1 in
        --size-mb) size_mb=${2:?}; shift 2 ;;
        --rate) rate=${2:?}; shift 2 ;;
        --dwell) dwell=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --full-phases) full_phases=${2:?}; shift 2 ;;
        --sample-rows) sample_rows=${2:?}; shift 2 ;;
        --orders-first) orders_first=1; shift ;;
        --no-region-index) region_index=0; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/cutover.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
GODWIT=${GODWIT:-$root/build/godwit}
[ -x "$GODWIT" ] || { echo "bench/cutover.sh: $GODWIT is not built (make)" >&2; exit 2; }
command -v pgbench >/dev/null || { echo "bench/cutover.sh: pgbench missing (make deps)" >&2; exit 2; }
REGIONS=(a b c d)
T0=$SECONDS

. "$root/tests/servers.sh"
# Background processes (pgbench, replicate, failback) are stopped on any exit, then the servers.
BG=()
bench_cleanup() {
    local p
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap 'bench_cleanup; _gw_on_exit' EXIT

settings=(shared_buffers=1GB max_wal_size=16GB min_wal_size=2GB checkpoint_timeout=30min wal_buffers=64MB
          maintenance_work_mem=512MB work_mem=64MB autovacuum=off max_connections=200)
pg_server_start csrc "${settings[@]}" >/dev/null
pg_server_start ctgt "${settings[@]}" >/dev/null
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
SRC=$(pg_url csrc shop)
q "$(pg_url csrc postgres)" -c "CREATE DATABASE shop"
q "$(pg_url ctgt postgres)" -c "CREATE DATABASE r1" -c "CREATE DATABASE r2"
work=$GW_TMP/bench-cutover   # removed with the servers
mkdir -p "$work"
log() { printf '[%4ds] %s\n' $((SECONDS - T0)) "$*" >&2; }

echo "# $cmdline"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "# godwit $("$GODWIT" --version 2>/dev/null | head -1) ($GODWIT); repository $root at $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'); $(q "$SRC" -c 'SHOW server_version')"

# ---------------------------------------------------------------- data
# A heap page holds 7 orders of ~1.1 kB: 896 rows per MB.
orders=$((size_mb * 896))
log "creating $orders orders (~$size_mb MB) and 40000 customers on the source"
t=$SECONDS
q "$SRC" <<SQL
CREATE TABLE customers (id bigint PRIMARY KEY, region text NOT NULL, name text NOT NULL,
                        balance numeric(12,2) NOT NULL DEFAULT 0);
CREATE TABLE orders (id bigint PRIMARY KEY, region text NOT NULL, customer_id bigint NOT NULL,
                     amount numeric(12,2) NOT NULL, payload text NOT NULL,
                     updated_at timestamptz NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO customers SELECT i, chr(97 + i % 4), 'customer ' || i, 0 FROM generate_series(1, 40000) i;
INSERT INTO orders
SELECT i, chr(97 + i % 4), 1 + i % 40000, (i % 100000) / 100.0, repeat(md5(i::text), 31),
       timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(1, $orders) i;
$([ "$region_index" = 0 ] || echo "CREATE INDEX orders_region_id_idx ON orders (region, id);
CREATE INDEX customers_region_id_idx ON customers (region, id);")
VACUUM ANALYZE;
CHECKPOINT;
SQL
data=$(q "$SRC" -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c))) FROM unnest(ARRAY['orders', 'customers']::regclass[]) c")
per_region=$(q "$SRC" -c "SELECT pg_size_pretty(pg_relation_size('orders') / 4)")
log "source data: $data with indexes (orders heap per region ~$per_region), built in $((SECONDS - t)) s"
setup_s=$((SECONDS - t))

plan() {   # SUFFIX -> plan file with phases a$SUFFIX..d$SUFFIX
    local f=$work/plan$1.json r sep=""
    {
        echo '{"phases": ['
        for r in "${REGIONS[@]}"; do
            printf '%s{"name": "%s%s", "tables": ["public.customers", "public.orders"], "where": {"public.customers": "region = '"'"'%s'"'"'", "public.orders": "region = '"'"'%s'"'"'"}}\n' \
                "$sep" "$r" "$1" "$r" "$r"
            sep=","
        done
        echo ']}'
    } >"$f"
    echo "$f"
}

# pgbench script per region: region = chr(97 + id % 4), so the ids of region number i (a = 0)
# are congruent to i modulo 4, for orders and customers (and for the orders the load inserts).
i=0
for r in "${REGIONS[@]}"; do
    off=$i
    cat >"$work/load_$r.sql" <<SQL
\\set k random(1, $((orders / 4 - 1)))
\\set c random(1, 9999)
BEGIN;
$([ "$orders_first" = 1 ] || echo "UPDATE customers SET balance = balance + 1 WHERE id = :c * 4 + $off;")
UPDATE orders SET amount = amount + 1, updated_at = clock_timestamp() WHERE id = :k * 4 + $off;
INSERT INTO orders VALUES ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 4 + $off, '$r', :c * 4 + $off, 9.99,
    repeat(md5(random()::text), 31), clock_timestamp(), clock_timestamp());
$([ "$orders_first" = 0 ] || echo "UPDATE customers SET balance = balance + 1 WHERE id = :c * 4 + $off;")
END;
SQL
    i=$((i + 1))
done

declare -A LOAD=() LOAD_URL=() ABORTS=()
load_start() {   # REGION URL
    pgbench -n -c 1 -j 1 -R "$rate" -T 100000 -f "$work/load_$1.sql" "$2" >>"$work/pgbench_$1.log" 2>&1 &
    LOAD[$1]=$!
    LOAD_URL[$1]=$2
    BG+=($!)
}
# A region's pgbench that stopped (its client hit an error) is reported and started again.
load_check() {
    local r
    for r in "${REGIONS[@]}"; do
        if ! kill -0 "${LOAD[$r]}" 2>/dev/null; then
            wait "${LOAD[$r]}" 2>/dev/null || true
            ABORTS[$r]=$((${ABORTS[$r]:-0} + 1))
            log "!! the load of region $r stopped on an error: $(grep -m1 -o 'ERROR: .*' <(tac "$work/pgbench_$r.log") | cut -c1-160)"
            load_start "$r" "${LOAD_URL[$r]}"
        fi
    done
}
load_stop() {   # REGION
    kill -TERM "${LOAD[$1]}" 2>/dev/null || true   # (SIGINT is ignored by background jobs of a script)
    wait "${LOAD[$1]}" 2>/dev/null || true
}

# md5 of a region's rows, computed by the server (md5 per row, then md5 of those in key order).
digest() {   # URL TABLE REGION
    q "$1" -c "SELECT md5(string_agg(md5(t::text), '' ORDER BY id)) || ' ' || count(*) FROM public.$2 t WHERE region = '$3'"
}
check_equal() {   # TARGET-URL LABEL
    local r t a b bad=0
    for r in "${REGIONS[@]}"; do
        for t in customers orders; do
            a=$(digest "$SRC" "$t" "$r"); b=$(digest "$1" "$t" "$r")
            if [ "$a" = "$b" ]; then
                echo "# $2: region $r $t: equal on both servers (md5 ${a%% *}, ${a##* } rows)"
            else
                echo "# $2: region $r $t: DIFFERENT: source $a, target $b"; bad=1
            fi
        done
    done
    return $bad
}
json_num() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"; }

declare -A DOWN=() VER=() GAP=() MODE=() FAILED=() ATTEMPTS=()
round() {   # SUFFIX DB FULL-REGIONS(comma list or "")
    local sfx=$1 db=$2 full=",$3," tgt pl r ph mode t out rc
    tgt=$(pg_url ctgt "$db")
    pl=$(plan "$sfx")
    declare -A REP FB
    for r in "${REGIONS[@]}"; do
        ph=$r$sfx
        t=$SECONDS
        "$GODWIT" fetch -q --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" --jobs 2 >"$work/fetch_$ph.out"
        log "fetch $ph: $(grep '^fetched' "$work/fetch_$ph.out") (wall $((SECONDS - t)) s)"
    done
    for r in "${REGIONS[@]}"; do
        ph=$r$sfx
        "$GODWIT" replicate --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" 2>"$work/replicate_$ph.log" &
        REP[$r]=$!; BG+=($!)
    done
    local since; since=$(q "$SRC" -c "SELECT clock_timestamp()")
    for r in "${REGIONS[@]}"; do load_start "$r" "$SRC"; done
    log "round $db: load on (4 x $rate tps on the source), $warmup s warm-up"
    sleep "$warmup"
    for r in "${REGIONS[@]}"; do
        ph=$r$sfx
        case $full in *",$r,"*) mode=full ;; *) mode=sample ;; esac
        load_check
        # A cutover that fails leaves the source the system of record, unfenced: as an operator
        # would, start the phase's replicate again if it stopped, and retry (3 attempts).
        for attempt in 1 2 3; do
            rc=0
            out=$("$GODWIT" cutover --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" --fence \
                    --verify "$mode" --sample-rows "$sample_rows" --format json 2>>"$work/cutover_$ph.log") || rc=$?
            [ "$rc" = 0 ] && break
            log "!! cutover $ph attempt $attempt FAILED (exit $rc): $(grep -m1 'error' "$work/cutover_$ph.log" | cut -c1-300)"
            mv "$work/cutover_$ph.log" "$work/cutover_$ph.attempt$attempt.log"
            if ! kill -0 "${REP[$r]}" 2>/dev/null; then
                wait "${REP[$r]}" 2>/dev/null || true
                "$GODWIT" replicate --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" 2>>"$work/replicate_$ph.log" &
                REP[$r]=$!; BG+=($!)
            fi
            load_check
            sleep 1
        done
        ATTEMPTS[$ph]=$attempt
        load_stop "$r"                # its client has stopped at the fence already
        load_start "$r" "$tgt"        # the application's writes of the region go to the target
        echo "$out" >"$work/cutover_$ph.json"
        if [ "$rc" != 0 ]; then
            log "cutover $ph FAILED 3 times"; FAILED[$ph]=1; return 1
        fi
        MODE[$ph]=$mode
        DOWN[$ph]=$(grep '^{' <<<"$out" | json_num write_downtime_seconds)
        VER[$ph]=$(grep '^{' <<<"$out" | json_num verify_seconds)
        rc=0; wait "${REP[$r]}" || rc=$?
        [ "$rc" = 0 ] || { log "replicate $ph exited $rc at the fence"; FAILED[$ph]=1; }
        "$GODWIT" failback --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" 2>"$work/failback_$ph.log" &
        FB[$r]=$!; BG+=($!)
        log "cutover $ph (--verify $mode): write downtime $(printf '%.3f' "${DOWN[$ph]}") s, verify $(printf '%.3f' "${VER[$ph]}") s; load of $r now on the target"
        sleep "$dwell"
    done
    load_check
    for r in "${REGIONS[@]}"; do load_stop "$r"; done
    log "round $db: load stopped; failback drains"
    for r in "${REGIONS[@]}"; do
        ph=$r$sfx
        kill -TERM "${FB[$r]}" 2>/dev/null || true; rc=0; wait "${FB[$r]}" || rc=$?
        [ "$rc" = 0 ] || { log "!! failback $ph exited $rc: $(grep -m1 ' error ' "$work/failback_$ph.log" | cut -c1-400)"; FAILED[$ph]=1; }
        "$GODWIT" failback -q --source "$SRC" --target "$tgt" --plan "$pl" --phase "$ph" --stop-when-caught-up 2>>"$work/failback_$ph.log" ||
            { log "failback --stop-when-caught-up of $ph failed"; FAILED[$ph]=1; }
        # The application's view: the longest gap between two of the region's inserted orders,
        # on the target, which holds them all (those of the source came by replicate).
        GAP[$ph]=$(q "$tgt" -c "SELECT round(extract(epoch FROM max(g))::numeric, 3) FROM (
                SELECT created_at - lag(created_at) OVER (ORDER BY created_at) AS g
                FROM orders WHERE region = '$r' AND created_at > '$since') x")
    done
    check_equal "$tgt" "round $db" || FAILED[$db]=1
    for r in "${REGIONS[@]}"; do
        "$GODWIT" finish -q --source "$SRC" --target "$tgt" --plan "$pl" --phase "$r$sfx" >/dev/null 2>>"$work/finish.log" ||
            { log "finish $r$sfx failed"; FAILED[$r$sfx]=1; }
    done
    log "round $db done"
}

round "" r1 ""
round "_full" r2 "$full_phases"

echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; total $((SECONDS - T0)) s (data set-up $setup_s s)"
echo
echo "| phase | rows of the phase | --verify | write downtime | verify | longest write gap seen by the load | cutover attempts | goal |"
echo "|---|---|---|---|---|---|---|---|"
for sfx in "" _full; do
    for r in "${REGIONS[@]}"; do
        ph=$r$sfx
        rows=$(sed -n "s/^fetched phase '[^']*': 2 tables, \([0-9]*\) rows, \([^ ]* [a-zA-Z]*\).*/\1 rows, \2/p" "$work/fetch_$ph.out")
        if [ "${MODE[$ph]}" = full ]; then goal=10; else goal=1; fi
        met=$(awk -v d="${DOWN[$ph]}" -v g="$goal" 'BEGIN { print (d < g) ? "met" : "NOT met" }')
        printf '| %s | %s | %s | %.3f s | %.3f s | %s s | %s | < %s s: %s |\n' "$ph" "$rows" "${MODE[$ph]}" "${DOWN[$ph]}" "${VER[$ph]}" "${GAP[$ph]}" "${ATTEMPTS[$ph]}" "$goal" "$met"
    done
done
for r in "${REGIONS[@]}"; do
    [ "${ABORTS[$r]:-0}" = 0 ] || echo "# the load of region $r was stopped by an error (not its own fence) ${ABORTS[$r]} time(s)"
done
# Every error the servers logged, but the fences' refusals of the load (expected: one per phase).
for s in CSRC:source CTGT:target; do
    d=${s%%:*}_DIR
    { grep -h ' ERROR: ' "${!d}/server.log" || true; } | { grep -v 'is fenced: rows of' || true; } |
        sed 's/.* ERROR: *//' | cut -c1-100 | sort | uniq -c | sed "s/^ */# errors logged by the ${s#*:} server: /"
    n=$(grep -c 'is fenced: rows of' "${!d}/server.log" || true)
    echo "# writes refused by a fence, ${s#*:} server: $n"
done
# A deadlock's victim and the statement it ran, from the source server's log.
awk '/ ERROR:  deadlock detected/ { match($0, /\[[0-9]+\]/); v = substr($0, RSTART + 1, RLENGTH - 2); want = 1; next }
     want && $0 ~ "Process " v ": " { sub(/^[ \t]*/, ""); print "# deadlock victim: " substr($0, 1, 110); want = 0 }' \
    "$CSRC_DIR/server.log"
if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "# FAILED: ${!FAILED[*]}"
    exit 1
fi
