#!/usr/bin/env bash
# bench/verify.sh: godwit verify against the time it takes merely to read both sides in full.
#
#   GODWIT=/abs/path/build/godwit bash bench/verify.sh [--scale N] [--jobs N] [--table-size N] [--skip-mysql]
#
# Defaults: --scale 20 (pgbench), --jobs 4 (verify's shards, and the parallelism of the read it is
# compared with), --table-size 100000 (rows in each of the 4 sysbench tables).  GODWIT defaults to
# build/godwit.
#
# PostgreSQL -> PostgreSQL.  Two throwaway PostgreSQL 15 servers (tests/servers.sh: loopback,
# fsync=off, synchronous_commit=off, full_page_writes=off) with the bulk-load settings of
# bench/fetch.sh (autovacuum off); pgbench -i -s SCALE on the source, `godwit fetch --jobs J` to the
# target, then VACUUM ANALYZE and CHECKPOINT on both.  One unmeasured warm-up read, then two rounds
# of (read, verify); each figure printed is the best of its two runs (both runs are printed too):
#
#   read     what any row-by-row comparison has to do at least: every pgbench table read in full,
#            in key order, on both sides at once, `COPY (SELECT * FROM t ORDER BY key) TO STDOUT`
#            into /dev/null.  Work items: pgbench_accounts in J ranges of aid of equal size, the
#            small tables whole (pgbench_history, empty and keyless, ordered by all its columns);
#            J items at a time, each item read by two psql processes at once, one per side (2J
#            sessions, as verify --jobs J has J shards each reading the source and the target).
#   verify   `godwit verify --source S --target T --jobs J`: wall time, peak RSS (GNU time %M;
#            the larger of the two runs) and CPU (user + system, the lower of the two runs).  It
#            must exit 0, and the "N rows compared" of its summary line must equal the source's
#            row count.
#   ratio    verify / read (goal <= 1.25).
#   sample   `godwit verify --jobs J --sample 1000` (what a cutover runs while writes are held), one
#            run, wall time; it must exit 0.
#   CPU      user + system seconds of godwit verify (all its threads), and of the read's psql (and
#            mariadb) client processes (bash's `times`), the lower of the two runs each; the
#            servers' CPU is not measured.
#
# MariaDB -> PostgreSQL (unless --skip-mysql).  A throwaway MariaDB (tests/servers.sh; buffer pool
# 1G) with `sysbench oltp_read_write prepare --tables 4 --table-size N` (as bench/mysql.sh;
# id, k, c CHAR(120), pad CHAR(60)), `godwit fetch --jobs J` into a database of the PostgreSQL
# target server, ANALYZE on both.  The same measurements: the read is, per table (in
# ceil(J / 4) ranges of id of equal size each), `mariadb --quick -N -B -e 'SELECT * FROM t ORDER BY
# id'` over TCP (as godwit connects) and `psql -c 'COPY (SELECT * FROM bench.t ORDER BY id) TO
# STDOUT'` at once, into /dev/null, J items at a time; verify is
# `godwit verify --source mysql://... --target postgres://... --jobs J`.
#
# Sanity check after each part's measurements (a verify that compared little would be fast too):
# on the target, differences spread over key ranges and tables: PostgreSQL part, pgbench_accounts
# rows deleted in the first aid range, changed in the middle (abalance) and near the end (filler),
# one inserted after the last, and one teller's tbalance changed; MariaDB part, a row deleted in
# sbtest1, k changed in the middle of sbtest2, c near the end of the last table, a row inserted
# in sbtest3.  verify must then exit 1, name each of those keys and columns and count exactly
# 1 missing, 1 extra and 3 (PostgreSQL) or 2 (MariaDB) mismatched.
#
# Servers are stopped and the work directory removed on exit (tests/servers.sh's trap; GW_KEEP_TMP=1
# keeps the directory: server logs, and verify's output and logs in $GW_TMP/bench-verify).  Exit 1 if verify fails or a check
# fails; the exact command and its output are printed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="${GODWIT:+GODWIT=$GODWIT }bash bench/verify.sh $*"

scale=20 jobs=4 table_size=100000 skip_mysql="" ntables=4
while [ $# -gt 0 ]; do
    case $1 in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --table-size) table_size=${2:?--table-size needs a value}; shift 2 ;;
        --skip-mysql) skip_mysql=1; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/verify.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
for v in "$scale" "$jobs" "$table_size"; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ]; then echo "bench/verify.sh: bad number '$v'" >&2; exit 2; fi
done
if [ "$table_size" -lt 100 ]; then echo "bench/verify.sh: --table-size must be at least 100" >&2; exit 2; fi

GODWIT=${GODWIT:-$root/build/godwit}
case $GODWIT in /*) ;; *) GODWIT=$PWD/$GODWIT ;; esac
[ -x "$GODWIT" ] || { echo "bench/verify.sh: $GODWIT is not built (make)" >&2; exit 2; }
tools=(psql pgbench /usr/bin/time)
[ -z "$skip_mysql" ] && tools+=(sysbench mariadb)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/verify.sh: '$tool' missing: run 'make deps'" >&2; exit 2; }
done

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r <= g ? "goal met" : "GOAL MISSED") }'; }
failures=0
fail() { log "FAILED: $*"; failures=$((failures + 1)); }

# shellcheck source=tests/servers.sh
. "$root/tests/servers.sh"
pg_settings=(shared_buffers=1GB max_wal_size=16GB min_wal_size=2GB checkpoint_timeout=30min
    wal_buffers=64MB maintenance_work_mem=512MB work_mem=64MB autovacuum=off max_connections=200)
log "starting two PostgreSQL servers"
pg_server_start vsrc "${pg_settings[@]}"
pg_server_start vtgt "${pg_settings[@]}"
# Inside the servers' directory, which servers.sh's EXIT trap removes (a trap of our own would replace it).
work=$GW_TMP/bench-verify
mkdir -p "$work"
pq() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$@"; }
SRC=$(pg_url vsrc bench) TGT=$(pg_url vtgt bench)
pq "$(pg_url vsrc postgres)" -c "CREATE DATABASE bench"
pq "$(pg_url vtgt postgres)" -c "CREATE DATABASE bench"
pg_version=$(pq "$SRC" -c 'SHOW server_version')
commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)

echo "# $cmdline"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "# $("$GODWIT" --version 2>&1 | head -n 1) ($GODWIT); repository $root at $commit; PostgreSQL $pg_version"
echo "# servers: tests/servers.sh (fsync=off, synchronous_commit=off, full_page_writes=off) + ${pg_settings[*]}"
echo "# every figure is the best of 2 runs (both runs in parentheses), after one unmeasured warm-up read"

# ---------------------------------------------------------------- reading both sides
# read_item KIND ITEM: one work item read on both sides at once into /dev/null.  ITEM is
# "source table|target table|order by|where" (where empty or " WHERE ..."); KIND pg or my (source).
read_item() {
    local kind=$1 st tt key where a b rc=0
    IFS='|' read -r st tt key where <<<"$2"
    if [ "$kind" = pg ]; then
        psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY (SELECT * FROM $st$where ORDER BY $key) TO STDOUT" >/dev/null &
    else
        mariadb --no-defaults --default-character-set=utf8mb4 -h 127.0.0.1 -P "$MSRC_PORT" -u root \
            --quick -N -B "$MDB" -e "SELECT * FROM \`$st\`$where ORDER BY $key" >/dev/null &
    fi
    a=$!
    psql -X -q -v ON_ERROR_STOP=1 -d "$RTGT" -c "COPY (SELECT * FROM $tt$where ORDER BY $key) TO STDOUT" >/dev/null &
    b=$!
    wait "$a" || rc=1
    wait "$b" || rc=1
    return $rc
}
# Sets CHILD_CPU: CPU seconds (user + system) of this shell's waited-for children so far (bash's
# `times`, which must run in this shell itself, never in a command substitution).
children_cpu() {
    times >"$work/times"
    CHILD_CPU=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
}
# read_all KIND ITEM...: JOBS items at a time; sets R_WALL and R_CPU (the clients' CPU).  Exits if a
# read fails.
read_all() {
    local kind=$1 it n=0 rc=0 t0 c0
    shift
    children_cpu; c0=$CHILD_CPU
    t0=$(now)
    for it in "$@"; do
        if [ "$n" -ge "$jobs" ]; then wait -n || rc=1; n=$((n - 1)); fi
        read_item "$kind" "$it" &
        n=$((n + 1))
    done
    while [ "$n" -gt 0 ]; do wait -n || rc=1; n=$((n - 1)); done
    R_WALL=$(secs "$t0" "$(now)")
    children_cpu; R_CPU=$(secs "$c0" "$CHILD_CPU")
    [ "$rc" -eq 0 ] || die "reading both sides failed (see the psql/mariadb errors above)"
}
# ranges TABLE KEY LO HI PARTS TARGET-TABLE: items for PARTS ranges of KEY of equal size.
ranges() {
    local t=$1 k=$2 lo=$3 hi=$4 parts=$5 tt=$6 size i a b
    size=$(((hi - lo + parts) / parts))
    for ((i = 0; i < parts; i++)); do
        a=$((lo + i * size)); b=$((a + size - 1))
        [ "$a" -gt "$hi" ] && break
        [ "$i" -eq $((parts - 1)) ] && b=$hi
        echo "$t|$tt|$k| WHERE $k BETWEEN $a AND $b"
    done
}

# ---------------------------------------------------------------- verify
# show_report FILE: a verify report, its start (the first table and differences) and its end.
show_report() {
    local n
    n=$(wc -l <"$1")
    echo "--- stdout ($n lines):"
    if [ "$n" -le 12 ]; then cat "$1"; else head -n 6 "$1"; echo "[... $((n - 10)) lines ...]"; tail -n 4 "$1"; fi
}
# run_verify TAG SOURCE TARGET EXPECTED-ROWS: godwit verify --jobs J, which must exit 0 and compare
# EXPECTED-ROWS rows; sets V_WALL, V_RSS (MB), V_CPU (user + system s), V_SUMMARY.
run_verify() {
    local tag=$1 src=$2 tgt=$3 expect=$4 rc=0 t0 t1 kb u sy rows
    local cmd=("$GODWIT" verify --source "$src" --target "$tgt" --jobs "$jobs")
    t0=$(now)
    /usr/bin/time -o "$work/$tag.time" -f '%e %M %U %S' "${cmd[@]}" >"$work/$tag.out" 2>"$work/$tag.err" || rc=$?
    t1=$(now)
    if [ "$rc" -ne 0 ]; then
        log "godwit verify exited $rc (expected 0: the target is a fresh fetch of an idle source):"
        echo "\$ ${cmd[*]}   # exit $rc" >&2
        show_report "$work/$tag.out" >&2
        echo "--- stderr (last 20 lines):" >&2; tail -n 20 "$work/$tag.err" >&2
        die "godwit verify failed"
    fi
    V_WALL=$(secs "$t0" "$t1")
    read -r _ kb u sy < <(tail -n 1 "$work/$tag.time")
    V_RSS=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
    V_CPU=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
    V_SUMMARY=$(grep -E '^verify: ' "$work/$tag.out" | tail -n 1 || true)
    rows=$(sed -nE 's/^verify: [0-9]+ tables?, ([0-9]+) rows? compared.*/\1/p' <<<"$V_SUMMARY")
    if [ "${rows:-}" != "$expect" ]; then
        log "godwit verify exited 0 but its summary does not say $expect rows compared:"
        echo "\$ ${cmd[*]}" >&2; show_report "$work/$tag.out" >&2
        fail "$tag: verify compared ${rows:-an unknown number of} rows, the source has $expect"
    fi
}

# sanity TAG SOURCE TARGET SUMMARY-MUST-CONTAIN LINE-REGEX...: verify after the target was changed:
# exit 1, the summary counts, each regex matching a line of the report.  Prints the verdict.
sanity() {
    local tag=$1 src=$2 tgt=$3 want=$4 rc=0 re bad=""
    shift 4
    local cmd=("$GODWIT" verify --source "$src" --target "$tgt" --jobs "$jobs")
    "${cmd[@]}" >"$work/$tag.out" 2>"$work/$tag.err" || rc=$?
    [ "$rc" -eq 1 ] || bad+=" exit $rc (expected 1);"
    grep -E '^verify: ' "$work/$tag.out" | tail -n 1 | grep -qF "$want" || bad+=" summary not '$want';"
    for re in "$@"; do grep -qE "$re" "$work/$tag.out" || bad+=" no line /$re/;"; done
    if [ -n "$bad" ]; then
        echo "sanity:        FAILED:$bad"
        {
            echo "\$ ${cmd[*]}   # exit $rc"
            show_report "$work/$tag.out"
            echo "--- stderr (last 20 lines):"; tail -n 20 "$work/$tag.err"
        } >&2
        fail "$tag: verify did not report the differences made on the target"
    else
        echo "sanity:        rows deleted, inserted and changed on the target: exit 1, each named, '$want'"
    fi
}

# measure KIND TAG SOURCE TARGET EXPECTED-ROWS ITEM...: warm-up read, 2 x (read, verify); prints the
# figures.
measure() {
    local kind=$1 tag=$2 src=$3 tgt=$4 expect=$5 r
    shift 5
    local reads=() rcpu=() verifies=() rss=() cpu=()
    log "$tag: warm-up read ($# items, $jobs at a time, both sides at once)"
    read_all "$kind" "$@"
    log "$tag: warm-up read ${R_WALL}s"
    for r in 1 2; do
        read_all "$kind" "$@"
        reads+=("$R_WALL"); rcpu+=("$R_CPU")
        log "$tag: round $r: read both sides ${R_WALL}s, clients' CPU ${R_CPU}s"
        run_verify "$tag.verify$r" "$src" "$tgt" "$expect"
        verifies+=("$V_WALL"); rss+=("$V_RSS"); cpu+=("$V_CPU")
        log "$tag: round $r: godwit verify ${V_WALL}s, peak RSS ${V_RSS} MB, CPU ${V_CPU}s: $V_SUMMARY"
    done
    local rb vb ratio
    rb=$(best "${reads[@]}"); vb=$(best "${verifies[@]}")
    ratio=$(div "$vb" "$rb")
    printf '%-44s %7.2f s   (runs %s)\n' "read both sides ($((2 * jobs)) sessions)" "$rb" "${reads[*]}"
    printf '%-44s %7.2f s   (runs %s)\n' "godwit verify --jobs $jobs" "$vb" "${verifies[*]}"
    printf '%-44s %7s     (goal <= 1.25: %s)\n' "verify / read" "$ratio" "$(verdict "$ratio" 1.25)"
    printf '%-44s %7s MB  (runs %s)\n' "godwit verify peak RSS" "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)" "${rss[*]}"
    printf '%-44s %7.2f s   (runs %s; user + system, all its threads)\n' "godwit verify CPU" "$(best "${cpu[@]}")" "${cpu[*]}"
    printf '%-44s %7.2f s   (runs %s; the %d client processes of the read)\n' "read clients' CPU" "$(best "${rcpu[@]}")" "${rcpu[*]}" "$((2 * $#))"
    echo "verify said:   $V_SUMMARY"
    # The sampled verify a cutover runs while writes are held (goal: well under 1 s whatever the size).
    local t0 s_wall s_summary
    t0=$(now)
    "$GODWIT" verify --source "$src" --target "$tgt" --jobs "$jobs" --sample 1000 >"$work/$tag.sample.out" \
        2>"$work/$tag.sample.err" || fail "$tag: godwit verify --sample 1000 exited $? (expected 0; see $work/$tag.sample.err)"
    s_wall=$(secs "$t0" "$(now)")
    s_summary=$(grep -E '^verify ' "$work/$tag.sample.out" | tail -n 1 || true)
    printf '%-44s %7.2f s   (one run: %s)\n' "godwit verify --jobs $jobs --sample 1000" "$s_wall" "$s_summary"
}

# ---------------------------------------------------------------- PostgreSQL -> PostgreSQL
log "source: pgbench -i -s $scale"
pgbench -q -i -s "$scale" "$SRC" >"$work/pgbench.log" 2>&1 || { tail -n 20 "$work/pgbench.log" >&2; die "pgbench -i failed"; }
log "godwit fetch --jobs $jobs"
t0=$(now)
"$GODWIT" fetch -q --jobs "$jobs" --source "$SRC" --target "$TGT" >"$work/fetch.out" 2>"$work/fetch.err" ||
    { tail -n 20 "$work/fetch.err" >&2; die "godwit fetch failed"; }
fetch_s=$(secs "$t0" "$(now)")
for db in "$SRC" "$TGT"; do pq "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"; done
pg_rows=$(pq "$SRC" -c "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM pgbench_branches)
    + (SELECT count(*) FROM pgbench_tellers) + (SELECT count(*) FROM pgbench_history)")
pg_size=$(pq "$SRC" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
read -r alo ahi < <(pq "$SRC" -F ' ' -c "SELECT min(aid), max(aid) FROM pgbench_accounts")
RTGT=$TGT
mapfile -t pg_items < <(ranges pgbench_accounts aid "$alo" "$ahi" "$jobs" pgbench_accounts
    echo "pgbench_branches|pgbench_branches|bid|"
    echo "pgbench_tellers|pgbench_tellers|tid|"
    echo "pgbench_history|pgbench_history|tid, bid, aid, delta, mtime, filler|")

echo
echo "PostgreSQL -> PostgreSQL: pgbench -i -s $scale: 4 tables, $pg_rows rows, $pg_size (source database); godwit fetch --jobs $jobs ${fetch_s} s"
measure pg pg "$SRC" "$TGT" "$pg_rows" "${pg_items[@]}"
# Differences spread over shards and tables: the first, the middle and the last aid range, a teller.
amid=$(((alo + ahi) / 2 + 7)) alast=$((ahi - 3))
tlast=$(pq "$SRC" -c "SELECT max(tid) FROM pgbench_tellers")
pq "$TGT" -c "DELETE FROM pgbench_accounts WHERE aid = $((alo + 4))" \
    -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = $amid" \
    -c "UPDATE pgbench_accounts SET filler = 'changed' WHERE aid = $alast" \
    -c "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES ($((ahi + 1)), 1, 0, 'extra')" \
    -c "UPDATE pgbench_tellers SET tbalance = tbalance - 5 WHERE tid = $tlast"
sanity pg.sanity "$SRC" "$TGT" "1 missing, 1 extra, 3 mismatched" \
    "^ +missing on target \\(aid\\)=\\($((alo + 4))\\)\$" \
    "^ +extra on target \\(aid\\)=\\($((ahi + 1))\\)\$" \
    "^ +mismatched \\(aid\\)=\\($amid\\): column \"abalance\": source 0, target 1\$" \
    "^ +mismatched \\(aid\\)=\\($alast\\): column \"filler\": source .*, target changed" \
    "^ +mismatched \\(tid\\)=\\($tlast\\): column \"tbalance\": source 0, target -5\$"

# ---------------------------------------------------------------- MariaDB -> PostgreSQL
if [ -z "$skip_mysql" ]; then
    pg_server_stop vsrc
    log "starting MariaDB"
    mariadb_server_start msrc --innodb-buffer-pool-size=1G --max-connections=300
    my() { mariadb_sql msrc "$@"; }
    MDB=bench
    my -e "CREATE DATABASE $MDB"
    my_version=$(my -e 'SELECT VERSION()')
    log "source: sysbench oltp_read_write prepare --tables $ntables --table-size $table_size"
    sysbench oltp_read_write --db-driver=mysql --mysql-socket="$MSRC_SOCK" --mysql-user=root --mysql-db="$MDB" \
        --tables="$ntables" --table-size="$table_size" --threads="$ntables" prepare >"$work/sysbench.log" 2>&1 ||
        { tail -n 20 "$work/sysbench.log" >&2; die "sysbench prepare failed"; }
    MSRC="mysql://root@127.0.0.1:$MSRC_PORT/$MDB"
    pq "$(pg_url vtgt postgres)" -c "CREATE DATABASE sb"
    MTGT=$(pg_url vtgt sb)
    log "godwit fetch --jobs $jobs (MariaDB)"
    t0=$(now)
    "$GODWIT" fetch -q --jobs "$jobs" --source "$MSRC" --target "$MTGT" >"$work/mfetch.out" 2>"$work/mfetch.err" ||
        { tail -n 20 "$work/mfetch.err" >&2; die "godwit fetch (MariaDB) failed"; }
    mfetch_s=$(secs "$t0" "$(now)")
    my_tables=()
    for ((i = 1; i <= ntables; i++)); do my_tables+=("sbtest$i"); done
    my "$MDB" -e "ANALYZE TABLE $(IFS=,; echo "${my_tables[*]}")" >/dev/null
    pq "$MTGT" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    my_rows=0 my_items=()
    parts=$(((jobs + ntables - 1) / ntables))
    for t in "${my_tables[@]}"; do
        read -r c lo hi < <(my "$MDB" -e "SELECT COUNT(*), MIN(id), MAX(id) FROM \`$t\`")
        my_rows=$((my_rows + c))
        if [ "$parts" -gt 1 ]; then
            mapfile -t -O "${#my_items[@]}" my_items < <(ranges "$t" id "$lo" "$hi" "$parts" "$MDB.$t")
        else
            my_items+=("$t|$MDB.$t|id|")
        fi
    done
    my_size=$(my -e "SELECT ROUND(SUM(DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$MDB'")
    RTGT=$MTGT

    echo
    echo "MariaDB $my_version -> PostgreSQL: sysbench $ntables x $table_size rows ($my_rows rows, $my_size MB in MariaDB, data + indexes); godwit fetch --jobs $jobs ${mfetch_s} s"
    measure my my "$MSRC" "$MTGT" "$my_rows" "${my_items[@]}"
    mmid=$((table_size / 2 + 7)) mlast=$((table_size - 3))
    mk=$(my "$MDB" -e "SELECT k FROM sbtest2 WHERE id = $mmid")
    pq "$MTGT" -c "DELETE FROM $MDB.sbtest1 WHERE id = 5" \
        -c "UPDATE $MDB.sbtest2 SET k = k + 1 WHERE id = $mmid" \
        -c "UPDATE $MDB.sbtest$ntables SET c = 'changed' WHERE id = $mlast" \
        -c "INSERT INTO $MDB.sbtest3 (id, k, c, pad) OVERRIDING SYSTEM VALUE VALUES ($((table_size + 1)), 0, 'extra', 'extra')"
    sanity my.sanity "$MSRC" "$MTGT" "1 missing, 1 extra, 2 mismatched" \
        "^ +missing on target \\(id\\)=\\(5\\)\$" \
        "^ +extra on target \\(id\\)=\\($((table_size + 1))\\)\$" \
        "^ +mismatched \\(id\\)=\\($mmid\\): column \"k\": source $mk, target $((mk + 1))\$" \
        "^ +mismatched \\(id\\)=\\($mlast\\): column \"c\": source .*, target changed"
fi

echo
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) FAILED: see the log above" >&2
    exit 1
fi
