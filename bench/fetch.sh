#!/usr/bin/env bash
# bench/fetch.sh: godwit fetch side by side with a raw COPY pipe and pgcopydb clone.
#
#   GODWIT=/abs/path/build/godwit bash bench/fetch.sh [--scale N] [--partitions N] [--wide-rows N]
#                                                     [--keyless-rows N] [--jobs N] [--repeat N]
#
# Defaults: --scale 20 (pgbench scale), --partitions 8 (pgbench_accounts range-partitioned in that
# many partitions, as pgbench -i --partitions makes it; 0: a plain table), --wide-rows 300000,
# --keyless-rows 0 (an event log without a primary key, ~110 bytes a row: a table fetch splits by
# blocks, and a raw pipe and pgcopydb 0.10 copy whole),
# --jobs = nproc, --repeat 3 (rounds; the figures printed are medians, the per-round values are
# printed too).
# `make bench` runs it with GODWIT set.
#
# One run starts two throwaway PostgreSQL 15 servers (tests/servers.sh: loopback, free ports,
# fsync=off, synchronous_commit=off, full_page_writes=off, wal_level=logical) with bulk-load
# settings added below, builds the source database once (pgbench -i plus a wide table with many
# types), then for each contender recreates an empty target database and measures, with GNU time,
# the wall clock and the peak RSS of the tool:
#
#   godwit           godwit fetch --jobs J (replication slot + publication; data, keys, indexes)
#   godwit-nostream  the same with --no-stream
#   raw pipe         pre-data schema restored first (timed apart), then per table
#                    psql COPY TO STDOUT | psql COPY FROM STDIN, J at a time (the copy is the
#                    figure); then post-data (keys, indexes) with pg_restore -j J (timed apart)
#   pgcopydb         pgcopydb clone --table-jobs J --index-jobs J (schema, data, indexes,
#                    VACUUM ANALYZE, sequences)
#
# Every contender's result is checked: count(*) of every source table, and the number of indexes,
# equal the target's; a run that fails or copies wrong counts is reported as FAILED (exit 1).
# godwit's copy phase is the time from its start to the commit of its last shard (from its -v log
# timestamps): catalog, slot and table creation included, and any index builds that overlapped
# other tables' copy.
#
# Each step also gets CPU seconds: the tool's (GNU time), both servers' (their postmasters'
# accounting) and every other process's on the machine.  On a small or shared machine the latter
# tells whether a figure was disturbed: before each contender the script waits for the machine to
# be quiet, stars the rounds during which other processes used CPU anyway, and takes medians over
# the clean rounds.  A warm-up copy (not measured) runs first.
#
# Extra knobs (environment): BENCH_KEEP=1 keeps the work directory (logs); BENCH_SKIP="a b" skips
# contenders (godwit godwit-nostream raw pgcopydb); BENCH_PGCOPYDB_SPLIT=MB adds
# --split-tables-larger-than to pgcopydb; BENCH_GODWIT_ARGS="..." adds options to godwit fetch
# (e.g. "--shard-size 1024" to copy every table whole); BENCH_QUIET_WAIT=S caps each wait for a
# quiet machine (default 180 s).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="GODWIT=${GODWIT:-} bash bench/fetch.sh $*"

scale=20
partitions=8
wide_rows=300000
keyless_rows=0
jobs=$(nproc)
repeat=3
while [ $# -gt 0 ]; do
    case $1 in
        --scale) scale=${2:?--scale needs a value}; shift 2 ;;
        --partitions) partitions=${2:?--partitions needs a value}; shift 2 ;;
        --wide-rows) wide_rows=${2:?--wide-rows needs a value}; shift 2 ;;
        --keyless-rows) keyless_rows=${2:?--keyless-rows needs a value}; shift 2 ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --repeat) repeat=${2:?--repeat needs a value}; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/fetch.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
for v in "$scale" "$wide_rows" "$jobs" "$repeat"; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ]; then echo "bench/fetch.sh: bad number '$v'" >&2; exit 2; fi
done
if ! [[ $keyless_rows =~ ^[0-9]+$ ]]; then echo "bench/fetch.sh: bad number '$keyless_rows'" >&2; exit 2; fi

if [ -z "${GODWIT:-}" ] || [ ! -x "$GODWIT" ]; then
    echo "bench/fetch.sh: set GODWIT to the godwit binary (make bench does)" >&2
    exit 2
fi
case $GODWIT in /*) ;; *) GODWIT=$PWD/$GODWIT ;; esac
for tool in psql pgbench pg_dump pg_restore pgcopydb /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/fetch.sh: '$tool' missing: run 'make deps'" >&2; exit 2; }
done

skip=" ${BENCH_SKIP:-} "
work=$(mktemp -d "${TMPDIR:-/tmp}/godwit-bench.XXXXXX")
chmod 755 "$work"
bench_cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "bench: kept logs in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap bench_cleanup EXIT
# shellcheck source=tests/servers.sh
. "$root/tests/servers.sh"   # chains bench_cleanup into its own EXIT trap

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
psqlx() { local url=$1; shift; PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"; }

# Bulk-load settings on top of the harness's (which keeps fsync=off, synchronous_commit=off,
# full_page_writes=off).  autovacuum off: no background work landing in a later contender's run.
settings=(shared_buffers=1GB max_wal_size=16GB min_wal_size=2GB checkpoint_timeout=30min
    wal_buffers=64MB maintenance_work_mem=512MB work_mem=64MB autovacuum=off
    max_connections=200 log_min_messages=warning)

log "starting source and target servers"
pg_server_start src "${settings[@]}"
pg_server_start tgt "${settings[@]}"
SRC=$(pg_url src bench)
TGT=$(pg_url tgt bench)
pg_version=$(psql -X -A -t -d "$(pg_url src postgres)" -c 'SHOW server_version')

# ---------------------------------------------------------------- source database
log "creating source: pgbench scale $scale ($partitions partitions), wide table of $wide_rows rows"
psqlx "$(pg_url src postgres)" -c 'CREATE DATABASE bench'
t0=$(now)
pgbench -i -q -s "$scale" --partitions "$partitions" -d "$SRC" >"$work/pgbench.log" 2>&1 || { cat "$work/pgbench.log" >&2; die "pgbench -i failed"; }
psqlx "$SRC" -v rows="$wide_rows" -f "$here/wide.sql" >/dev/null
if [ "$keyless_rows" -gt 0 ]; then
    psqlx "$SRC" -c "CREATE TABLE event_log (at timestamptz NOT NULL, account int NOT NULL, kind text NOT NULL,
        detail text); INSERT INTO event_log SELECT timestamptz '2026-01-01' + i * interval '1 second', i % 100000,
        'kind ' || (i % 13), md5(i::text) || md5((i * 7)::text) FROM generate_series(1, $keyless_rows) i" >/dev/null
fi
psqlx "$SRC" -c 'ANALYZE'
src_load=$(secs "$t0" "$(now)")
src_size=$(psql -X -A -t -d "$SRC" -c "SELECT pg_size_pretty(pg_database_size('bench'))")
mapfile -t tables < <(psql -X -A -t -d "$SRC" -c \
    "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1")
[ ${#tables[@]} -gt 0 ] || die "no source tables"

# "table count" lines of every source table, on database URL.
row_counts() {
    local url=$1 t sql="" sep=""
    for t in "${tables[@]}"; do
        sql+="$sep SELECT '$t', (SELECT count(*) FROM $t)"
        sep=" UNION ALL"
    done
    sql+=" UNION ALL SELECT '(indexes)', (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public')"
    psql -X -A -t -F ' ' -d "$url" -c "$sql ORDER BY 1"
}
row_counts "$SRC" >"$work/counts.src"
src_rows=$(awk '$1 != "(indexes)" { n += $2 } END { print n }' "$work/counts.src")
log "source ready in ${src_load}s: ${#tables[@]} tables, $src_rows rows, $src_size"

# ---------------------------------------------------------------- helpers
fresh_target() {
    psqlx "$(pg_url tgt postgres)" -c 'DROP DATABASE IF EXISTS bench WITH (FORCE)' -c 'CREATE DATABASE bench'
    # Start each contender from the same point: no pending checkpoint work from the last one.
    psqlx "$(pg_url tgt postgres)" -c 'CHECKPOINT'
    quiet_failed=""
    wait_quiet || quiet_failed=1
}

drop_godwit_stream() {
    psqlx "$(pg_url src bench)" -c \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'godwit%'" \
        -c "DO \$\$DECLARE p text; BEGIN FOR p IN SELECT pubname FROM pg_publication WHERE pubname LIKE 'godwit%'
            LOOP EXECUTE format('DROP PUBLICATION %I', p); END LOOP; END\$\$" >/dev/null
}

# check_counts NAME: 0 when every table's count, and the number of indexes, on the target equal the source's.
check_counts() {
    local name=$1
    if ! row_counts "$TGT" >"$work/counts.$name" 2>"$work/counts.$name.err"; then
        log "$name: counting rows on the target failed: $(head -c 300 "$work/counts.$name.err")"
        return 1
    fi
    if ! diff "$work/counts.src" "$work/counts.$name" >"$work/counts.$name.diff"; then
        log "$name: row counts differ from the source (< source, > target):"
        cat "$work/counts.$name.diff" >&2
        return 1
    fi
}

# CPU accounting.  The machine may be shared with other work, so the benchmark's own CPU is
# counted exactly: the two servers (each postmaster's own and reaped children's time, plus its
# live children's) and the tool (GNU time: the process and its reaped children).  "other" is the
# busy time of the whole machine minus that: a run during which other processes ate CPU is
# flagged, because its wall time is then not the tool's alone.
clk_tck=$(getconf CLK_TCK)
machine_busy() { awk -v hz="$clk_tck" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat; }
servers_cpu() {
    local d pm ticks=0 t kids
    for d in "$SRC_DIR" "$TGT_DIR"; do
        pm=$(head -n 1 "$d/postmaster.pid")
        t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat" 2>/dev/null || echo 0)
        ticks=$((ticks + t))
        kids=$(ps -o pid= --ppid "$pm" | tr -d ' ' | sed 's|.*|/proc/&/stat|' | tr '\n' ' ')
        if [ -n "$kids" ]; then
            # shellcheck disable=SC2086
            t=$(cat $kids 2>/dev/null | awk '{ n += $14 + $15 } END { print n + 0 }')
            ticks=$((ticks + t))
        fi
    done
    awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'
}

# Number of processes of both servers (postmasters' children, zombies included).
servers_nproc() {
    local d n=0
    for d in "$SRC_DIR" "$TGT_DIR"; do
        n=$((n + $(ps -o pid= --ppid "$(head -n 1 "$d/postmaster.pid")" | wc -l)))
    done
    echo "$n"
}

# Waits (up to BENCH_QUIET_WAIT seconds, default 180) until the machine is quiet apart from the
# benchmark's servers: less than 0.15 core busy over one second.  Returns 1 if it never was.
wait_quiet() {
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-180})) b0 b1 s0 s1 busy warned=""
    while :; do
        b0=$(machine_busy); s0=$(servers_cpu)
        sleep 1
        b1=$(machine_busy); s1=$(servers_cpu)
        busy=$(awk -v a="$b0" -v b="$b1" -v c="$s0" -v d="$s1" 'BEGIN { printf "%.2f", (b - a) - (d - c) }')
        if awk -v x="$busy" 'BEGIN { exit !(x < 0.15) }'; then return 0; fi
        if [ $SECONDS -ge $deadline ]; then
            log "machine still busy (${busy} cores used by other processes): measuring anyway, run flagged"
            return 1
        fi
        [ -z "$warned" ] && log "waiting for the machine to be quiet (${busy} cores used by other processes)"
        warned=1
    done
}

# timed NAME CMD...: runs CMD under GNU time with stdout/stderr in $work/NAME.{out,err};
# sets T_WALL (s), T_RSS (MB), T_CPU (user+sys s of the process and its reaped children),
# T_SCPU (CPU s of both servers) and T_OTHER (CPU s of everything else on the machine).
timed() {
    local name=$1; shift
    local rc=0 b0 b1 s0 s1
    b0=$(machine_busy); s0=$(servers_cpu)
    local n0; n0=$(servers_nproc)
    /usr/bin/time -o "$work/$name.time" -f '%e %M %U %S' "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    # A backend's CPU is added to its postmaster's only once it has been reaped: wait for the
    # tool's backends to be gone (at most 5 s) before reading.
    local until=$((SECONDS + 5))
    while [ "$(servers_nproc)" -gt "$n0" ] && [ $SECONDS -lt $until ]; do sleep 0.05; done
    b1=$(machine_busy); s1=$(servers_cpu)
    read -r T_WALL T_RSS_KB T_U T_S < <(tail -n 1 "$work/$name.time")
    T_RSS=$(awk -v k="$T_RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')
    T_CPU=$(awk -v u="$T_U" -v s="$T_S" 'BEGIN { printf "%.1f", u + s }')
    T_SCPU=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')
    T_OTHER=$(awk -v a="$b0" -v b="$b1" -v c="$T_SCPU" -v d="$T_CPU" \
        'BEGIN { x = (b - a) - c - d; printf "%.1f", (x < 0 ? 0 : x) }')
    return $rc
}

# Results, one value per round for each row NAME:
#   rec NAME STATUS WHAT WALL [RSS TOOLCPU SERVERCPU OTHERCPU]
# A run is "disturbed" (starred) when other processes used more than a quarter of a core on
# average while it ran (and more than 0.3 s in all), or the machine was not quiet before it
# started.  Medians are taken over the undisturbed runs when there is at least one.
declare -A R_WALL R_RSS R_CPU R_SCPU R_OTHER R_BAD R_WHAT R_FLAGGED
R_ORDER=()
failures=0
quiet_failed=""
rec() {
    local n=$1 status=$2 what=$3 wall=${4:-} rss=${5:-} cpu=${6:-} scpu=${7:-} other=${8:-}
    if [ -z "${R_WHAT[$n]+x}" ]; then R_ORDER+=("$n"); R_BAD[$n]=0; R_FLAGGED[$n]=0; fi
    R_WHAT[$n]=$what
    if [ "$status" != ok ]; then
        R_BAD[$n]=$((R_BAD[$n] + 1)); R_WALL[$n]+="FAILED "; return 0
    fi
    local mark=""
    if [ -n "$quiet_failed" ] || { [ -n "$other" ] &&
            awk -v o="$other" -v w="$wall" 'BEGIN { exit !(o > 0.25 * w && o > 0.3) }'; }; then
        mark="*"; R_FLAGGED[$n]=$((R_FLAGGED[$n] + 1))
    fi
    R_WALL[$n]+="$wall$mark "
    [ -n "$rss" ] && R_RSS[$n]+="$rss "
    [ -n "$cpu" ] && R_CPU[$n]+="$cpu "
    [ -n "$scpu" ] && R_SCPU[$n]+="$scpu "
    [ -n "$other" ] && R_OTHER[$n]+="$other "
    return 0
}
sum() { awk 'BEGIN { for (i = 1; i < ARGC; i++) n += ARGV[i]; printf "%.2f", n }' "$@"; }

# ---------------------------------------------------------------- godwit
run_godwit() {
    local name=$1 tag=$2; shift 2
    fresh_target
    drop_godwit_stream
    log "$tag: godwit fetch --jobs $jobs $*"
    # The start is stamped by the process itself just before it becomes godwit (exec).
    # shellcheck disable=SC2016 # expanded by the inner shell
    if ! timed "$tag" bash -c 'date +%s.%N >"$0"; exec "$@"' "$work/$tag.start" "$GODWIT" fetch --source "$SRC" --target "$TGT" --jobs "$jobs" -v "$@"; then
        log "$tag: godwit failed; last lines of its log:"; tail -n 15 "$work/$tag.err" >&2
        rec "$name" FAILED "godwit exited with an error"
        failures=$((failures + 1)); drop_godwit_stream; return 0
    fi
    local wall=$T_WALL rss=$T_RSS cpu=$T_CPU scpu=$T_SCPU other=$T_OTHER
    # Copy phase: from the start to the last shard committed ("worker N: T shard i/n: R rows").
    local last copy="" start_epoch
    start_epoch=$(cat "$work/$tag.start")
    last=$(grep -E ' debug +worker [0-9]+: .* shard [0-9]+/[0-9]+: [0-9]+ rows' "$work/$tag.err" |
        tail -n 1 | cut -d' ' -f1)
    if [ -n "$last" ]; then
        copy=$(awk -v a="$start_epoch" -v b="$(date -u -d "$last" +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    fi
    local status=ok
    check_counts "$tag" || { status="WRONG COUNTS"; failures=$((failures + 1)); }
    rec "$name" "$status" "all of fetch: schema, data, keys/indexes, state" "$wall" "$rss" "$cpu" "$scpu" "$other"
    if [ -n "$copy" ]; then
        # Disturbed when the whole run was (its "other" CPU is the whole run's).
        rec "$name copy" "$status" "start to last shard committed (-v log); overlaps index builds" "$copy" \
            "" "" "" "$other"
    fi
    log "$tag: ${wall}s (copy phase ${copy:-?}s), peak RSS ${rss} MB, CPU: tool ${cpu}s, servers ${scpu}s, other ${other}s"
    sed 's/^/    /' "$work/$tag.out" >&2
    drop_godwit_stream
}

# ---------------------------------------------------------------- raw pipe
run_raw() {
    local tag=$1
    fresh_target
    log "$tag: schema (pre-data), then per-table psql | psql with $jobs at a time, then post-data -j $jobs"
    local status=ok
    if ! timed "$tag-pre" pg_restore --section=pre-data --exit-on-error -d "$TGT" "$work/schema.dump"; then
        tail -n 5 "$work/$tag-pre.err" >&2; die "raw: pre-data restore failed"
    fi
    local -a pre=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if ! timed "$tag" env SRC="$SRC" TGT="$TGT" xargs -P "$jobs" -n 1 -d '\n' -a "$work/raw.tables" \
            bash "$here/pipe_table.sh"; then
        log "$tag: copy failed:"; tail -n 10 "$work/$tag.err" >&2
        status=FAILED; failures=$((failures + 1))
    fi
    local -a cp=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if ! timed "$tag-post" pg_restore --section=post-data -j "$jobs" --exit-on-error -d "$TGT" "$work/schema.dump"; then
        log "$tag: post-data restore failed:"; tail -n 5 "$work/$tag-post.err" >&2
        status=FAILED; failures=$((failures + 1))
    fi
    local -a post=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if [ "$status" = ok ]; then
        check_counts "$tag" || { status="WRONG COUNTS"; failures=$((failures + 1)); }
    fi
    local rss; rss=$(printf '%s\n' "${pre[1]}" "${cp[1]}" "${post[1]}" | sort -g | tail -n 1)
    rec "raw pipe copy" "$status" "COPY | COPY per table, $jobs at a time (data only)" "${cp[@]}"
    rec "raw pipe schema" "$status" "pg_restore --section=pre-data" "${pre[@]}"
    rec "raw pipe indexes" "$status" "pg_restore --section=post-data -j $jobs" "${post[@]}"
    rec "raw pipe total" "$status" "schema + copy + keys/indexes" \
        "$(sum "${pre[0]}" "${cp[0]}" "${post[0]}")" "$rss" "$(sum "${pre[2]}" "${cp[2]}" "${post[2]}")" \
        "$(sum "${pre[3]}" "${cp[3]}" "${post[3]}")" "$(sum "${pre[4]}" "${cp[4]}" "${post[4]}")"
    log "$tag: schema ${pre[0]}s, copy ${cp[0]}s (servers ${cp[3]}s CPU, other ${cp[4]}s), keys/indexes ${post[0]}s"
}

# ---------------------------------------------------------------- pgcopydb
run_pgcopydb() {
    local tag=$1
    fresh_target
    local dir="$work/$tag.dir" extra=()
    rm -rf "$dir"
    if [ -n "${BENCH_PGCOPYDB_SPLIT:-}" ]; then
        extra=(--split-tables-larger-than "${BENCH_PGCOPYDB_SPLIT}MB")
    fi
    log "$tag: pgcopydb clone --table-jobs $jobs --index-jobs $jobs ${extra[*]}"
    local status=ok
    # pgcopydb runs pg_dump/pg_restore: the PostgreSQL 15 ones come first in PATH.
    if ! timed "$tag" env PATH="$PG_BIN:$PATH" pgcopydb clone --source "$SRC" --target "$TGT" --dir "$dir" \
            --table-jobs "$jobs" --index-jobs "$jobs" "${extra[@]}"; then
        log "$tag: pgcopydb failed; its errors:"
        grep -E 'ERROR|FATAL' "$work/$tag.err" | tail -n 10 >&2 || true
        tail -n 5 "$work/$tag.err" >&2
        status=FAILED; failures=$((failures + 1))
    fi
    if [ "$status" = ok ]; then
        check_counts "$tag" || { status="WRONG COUNTS"; failures=$((failures + 1)); }
    fi
    rec pgcopydb "$status" "schema, data, indexes, VACUUM ANALYZE, sequences${extra:+ (${extra[*]})}" \
        "$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER"
    log "$tag: ${T_WALL}s, peak RSS ${T_RSS} MB, CPU: tool ${T_CPU}s, servers ${T_SCPU}s, other ${T_OTHER}s"
    rm -rf "$dir"
}

# ---------------------------------------------------------------- rounds
pg_dump -Fc --schema-only -d "$SRC" -f "$work/schema.dump"
# Largest tables first, as any sensible scheduler would.
# A partitioned table's rows are copied partition by partition (COPY refuses its parent).
psql -X -A -t -d "$SRC" -c "SELECT format('%I.%I', s.schemaname, s.relname) FROM pg_stat_user_tables s
    JOIN pg_class c ON c.oid = s.relid WHERE c.relkind = 'r' ORDER BY pg_total_relation_size(relid) DESC" >"$work/raw.tables"

# Warm-up, not measured: the first bulk load into the target creates its WAL segment files
# (later ones recycle them) and warms caches; without it the first contender pays for that.
log "warm-up: one raw pipe copy into the target, not measured"
fresh_target
pg_restore --section=pre-data --exit-on-error -d "$TGT" "$work/schema.dump"
SRC="$SRC" TGT="$TGT" xargs -P "$jobs" -n 1 -d '\n' -a "$work/raw.tables" bash "$here/pipe_table.sh"

read -r -a godwit_extra <<<"${BENCH_GODWIT_ARGS:-}"
contenders=()
for c in godwit godwit-nostream raw pgcopydb; do
    case $skip in *" $c "*) ;; *) contenders+=("$c") ;; esac
done
for ((round = 1; round <= repeat; round++)); do
    # The order rotates from round to round so that no contender always runs first or last.
    for ((i = 0; i < ${#contenders[@]}; i++)); do
        c=${contenders[$(((i + round - 1) % ${#contenders[@]}))]}
        case $c in
            godwit) run_godwit godwit "godwit.$round" "${godwit_extra[@]}" ;;
            godwit-nostream) run_godwit godwit-nostream "godwit-nostream.$round" --no-stream "${godwit_extra[@]}" ;;
            raw) run_raw "raw.$round" ;;
            pgcopydb) run_pgcopydb "pgcopydb.$round" ;;
        esac
    done
done

# ---------------------------------------------------------------- report
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) print ""; else if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n 1; }
ratio() { # ratio A B
    if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; else echo "n/a"; fi
}
verdict() { # verdict RATIO GOAL
    case $1 in n/a) echo "not measured" ;; *) awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "goal met" : "GOAL MISSED") }' ;; esac
}
# Median wall of row $1: over its undisturbed runs if any, else over all of them.
med_of() {
    [ -n "${R_WALL[$1]+x}" ] || return 0
    local v=${R_WALL[$1]//FAILED/} clean
    clean=$(tr ' ' '\n' <<<"$v" | grep -v '\*' | tr '\n' ' ')
    if [ -n "${clean// /}" ]; then median "$clean"; else median "${v//\*/}"; fi
}
runs_of() { # "clean/all" runs of row $1
    local v=${R_WALL[$1]//FAILED/}
    local all; all=$(wc -w <<<"$v")
    echo "$((all - R_FLAGGED[$1]))/$all"
}
r1=$(ratio "$(med_of godwit)" "$(med_of pgcopydb)")
r2=$(ratio "$(med_of 'godwit copy')" "$(med_of 'raw pipe copy')")
r3=$(ratio "$(med_of godwit)" "$(med_of 'raw pipe total')")
r4=$(ratio "$(med_of godwit-nostream)" "$(med_of pgcopydb)")
r5=$(ratio "$(med_of 'godwit-nostream copy')" "$(med_of 'raw pipe copy')")
echo
echo "command:  $cmdline"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/^Mem:/ { print $2 }') GB RAM; both servers and the tools share it"
echo "postgres: $pg_version; fsync=off, synchronous_commit=off, full_page_writes=off, wal_level=logical (tests/servers.sh),"
echo "          ${settings[*]}"
echo "godwit:   $("$GODWIT" --version 2>&1 | head -n 1) ($GODWIT)"
echo "data:     pgbench -i -s $scale --partitions $partitions + wide table of $wide_rows rows + keyless table of $keyless_rows rows: ${#tables[@]} tables, $src_rows rows, $src_size (source database)"
[ ${#godwit_extra[@]} -gt 0 ] && echo "godwit options added: ${godwit_extra[*]}"
echo "jobs:     $jobs; rounds: $repeat (figures are medians over the rounds; every round checks row and index counts)"
echo
row() { printf '%-20s %7s %5s %7s %8s %8s %7s  %-9s %s\n' "$@"; }
row contender "wall s" clean "peak MB" "tool cpu" "srv cpu" "other" status "what the time contains"
row -------------------- ------- ----- ------- -------- -------- ------- --------- ----------------------
for n in "${R_ORDER[@]}"; do
    st="ok"
    [ "${R_BAD[$n]}" -gt 0 ] && st="FAILED ${R_BAD[$n]}x"
    row "$n" "$(med_of "$n")" "$(runs_of "$n")" "$(maxof "${R_RSS[$n]:-}")" "$(median "${R_CPU[$n]:-}")" \
        "$(median "${R_SCPU[$n]:-}")" "$(median "${R_OTHER[$n]:-}")" "$st" "${R_WHAT[$n]}"
done
echo
echo "wall s per round (* = disturbed: other processes used CPU meanwhile):"
flagged=0
for n in "${R_ORDER[@]}"; do
    printf '  %-20s %s\n' "$n" "${R_WALL[$n]:-}"
    flagged=$((flagged + R_FLAGGED[$n]))
done
echo
echo "godwit / pgcopydb (data + indexes):             $r1   (goal <= 1.00: $(verdict "$r1" 1.00))"
echo "godwit copy phase / raw pipe copy:              $r2   (goal <= 1.15: $(verdict "$r2" 1.15))"
echo "godwit --no-stream / pgcopydb:                  $r4"
echo "godwit --no-stream copy phase / raw pipe copy:  $r5"
echo "godwit / raw pipe total (schema+data+indexes):  $r3"
echo "wall s: median over the undisturbed rounds (clean: how many of all), or over all if none; the"
echo "ratios use these.  peak MB: max RSS of the tool's largest process (GNU time %M), max over rounds."
echo "CPU seconds (medians): tool = the tool and its children; srv = both PostgreSQL servers; other ="
echo "every other process on the machine during the step (~0 on an otherwise idle machine)."
if [ "$flagged" -gt 0 ]; then
    echo "WARNING: $flagged measurement(s) were disturbed by other load on the machine (starred above)."
fi
if [ "$failures" -gt 0 ]; then
    echo "$failures run(s) FAILED or copied wrong counts: see the log above" >&2
    exit 1
fi
