#!/usr/bin/env bash
# bench/mysql.sh: godwit with a MariaDB source: fetch against pgloader and a raw pipe, then replicate,
# then failback (PostgreSQL back into MariaDB) side by side with replicate.
#
#   GODWIT=/abs/path/build/godwit bash bench/mysql.sh [--tables N] [--table-size N] [--types-rows N]
#       [--jobs N] [--repeat N] [--events N] [--rate TPS] [--seconds S] [--threads N]
#
# Defaults: --tables 4 --table-size 250000 (sysbench), --types-rows 100000 (all-types table),
# --jobs = nproc, --repeat 1 (fetch rounds; medians when more), --events 20000 (backlog: sysbench
# write-only transactions), --rate 1000 and --seconds 30 (steady load for the lag), --threads 4
# (sysbench clients).  GODWIT defaults to build/godwit.  Sized for a few minutes on an idle 2-core machine.
#
# One run starts a throwaway MariaDB (binlog ROW, FULL row images, sync_binlog=0,
# innodb_flush_log_at_trx_commit=2) and a throwaway PostgreSQL 15 (fsync=off,
# synchronous_commit=off, bulk-load settings below) with tests/servers.sh, and builds database
# "bench" on MariaDB once:
#
#   sysbench oltp_read_write prepare --tables N --table-size N (id, k, c CHAR(120), pad CHAR(60))
#   alltypes   every MySQL type godwit maps (signed and unsigned integers, DECIMAL, FLOAT, DOUBLE,
#              BIT(1/12/64), TINYINT(1), CHAR/VARCHAR/TEXT/MEDIUMTEXT, BINARY/VARBINARY/BLOB, DATE,
#              DATETIME(6), TIMESTAMP(6), TIME (negative, > 24 h), TIME(3), YEAR, ENUM, SET, JSON),
#              NULLs, extremes, tabs/newlines/backslashes, NUL bytes in blobs, UTF-8; INSERT ...
#              SELECT from MariaDB's sequence engine (seq_1_to_N)
#   hb         the heartbeat row of the lag measurement
#
# Fetch: each contender loads the whole database into a fresh PostgreSQL database, with the same
# parallelism J, timed with GNU time (wall, peak RSS of the tool's largest process, CPU):
#
#   godwit     godwit fetch --source mysql://.../bench --target .../bench_g --jobs J (whole fetch:
#              schema, data, keys and indexes, state); "godwit copy" = start to last shard committed
#              (its -v log)
#   pgloader   pgloader --dynamic-space-size 8192 --with 'workers = 2J' --with 'concurrency = 1'
#              --with 'max parallel create index = J' (one reader and one writer per table: J
#              tables at a time).  Its exit code is 0 even when a table fails, so its summary is
#              read: a table it could not load (a type it cannot convert) is reported as PARTIAL
#              with pgloader's error, and its time then covers less work than godwit's.
#   raw pipe   the tables godwit created, from `pg_dump -Fc --schema-only` of godwit's target
#              (pre-data restored first, timed apart), then per table, J at a time,
#              mariadb --quick -N -B -e 'SELECT ...' | psql -c 'COPY t FROM STDIN', then keys and
#              indexes (pg_restore --section=post-data -j J, timed apart).  The sysbench tables go
#              through a plain `SELECT id, k, c, pad` (mariadb -B escapes tab, newline, backslash
#              as COPY text does; their columns are NOT NULL digits and dashes).  Other tables cannot
#              go through a plain pipe (NULL prints as NULL, binary bytes raw, BIT raw, SET as
#              "a,b", no \r escape), so they use --raw and per-column SQL expressions: COALESCE(x,
#              '\N'), REPLACE() escapes, CONCAT('\\x', HEX(blob)), LPAD(BIN(bit)), CAST(float AS
#              DOUBLE), CONCAT('{', set, '}'); time_zone '+00:00' and PGTZ=UTC.
#
# Checks after each load: row counts of every table equal MariaDB's; for every table, a hash of
# all rows (md5 of each row's text, summed) on godwit's target equals the raw pipe's (same DDL: an
# independent check of godwit's type conversion); the sysbench tables' hash of (id, k, c, pad) on
# each target equals the one computed by MariaDB.  Before each contender the script waits (at
# most BENCH_QUIET_WAIT s, default 120) for the machine to be quiet, and "other" is the CPU used
# meanwhile by processes that are neither the tool nor the servers (a run is starred when that
# exceeds a quarter of a core).
#
# Replicate, on godwit's target of the last fetch round:
#
#   backlog    sysbench oltp_write_only run --events E while nothing replicates, then
#              godwit replicate --stop-when-caught-up, timed: row changes per second (the changes
#              are godwit's own count, its final "N transactions, M changes applied" line; each
#              sysbench transaction is 2 updates, 1 delete, 1 insert).  Peak RSS.
#   all types  10% of alltypes updated (every column), 10% deleted, 10% inserted, applied the same
#              way; then alltypes fetched again (godwit fetch --no-stream --tables bench.alltypes)
#              into a fresh database: the replicated table must hash equal to the fetched one.
#   lag        godwit replicate in the background; the heartbeat row updated on MariaDB every
#              100 ms (UTC_TIMESTAMP(6), a loop in one session) and read on PostgreSQL every 100 ms
#              (clock_timestamp() at UTC minus the replicated value; DATETIME maps to timestamp);
#              sysbench oltp_write_only run --rate R --time S meanwhile: median, p99 (goal < 1 s)
#              and max.  Resolution 0.1 s (the heartbeat's age is included).  Then the replicator is
#              stopped with SIGTERM once the last heartbeat arrived (exit code and peak RSS
#              reported).
#   equality   after each step: the sysbench tables' count, sum(k) and hash of (id, k, c, pad) on
#              both sides; the heartbeat row.
#
# Failback (PostgreSQL -> MariaDB), after every forward measurement, on the same target:
#
#   prepare    godwit cutover --fence --verify none: it drains forward replication and creates the
#              phase's failback slot on the target (failback runs only for a phase cut over); from then
#              on replicate refuses the phase.
#   backlog    sysbench oltp_write_only --db-driver=pgsql run --events E --threads N (the forward
#              backlog's E and N) on the target (database bench_g; PGOPTIONS sets search_path to
#              schema bench, where the tables live) while nothing streams back, then godwit failback
#              --stop-when-caught-up, timed: row changes per second from its final "failback
#              <phase>: N transactions, M changes applied" line.  Peak RSS, CPU, and the statements
#              and commits MariaDB counted meanwhile (Questions, Com_commit).  The sysbench and
#              heartbeat sessions on PostgreSQL commit with synchronous_commit=on (the server's
#              default is off): a walsender only sends flushed WAL, and with off each commit would
#              wait up to wal_writer_delay (200 ms) before failback could read it.
#   lag        godwit failback in the background; the heartbeat row updated on PostgreSQL every
#              100 ms (clock_timestamp() at UTC, a DO loop committing each update in one session)
#              and its age read on MariaDB every 100 ms (UTC_TIMESTAMP(6) minus the applied DATETIME,
#              a loop in one session) while sysbench --db-driver=pgsql --rate R --time S runs on the
#              target: median, p99 (goal < 1 s, as forward) and max.  The heartbeat is then
#              cancelled, its last value must reach MariaDB, and failback is stopped with SIGTERM
#              (exit 0 expected).
#   equality   after each step, as forward (the same hashes compare MariaDB with PostgreSQL).
#   report     side by side with the forward figures; "forward rate / failback rate" (= failback
#              time / forward time per row change) with the goal <= 1.2: failback within 20% of
#              forward for the same engine pair.
#
# Extra knobs (environment): BENCH_KEEP=1 keeps the work directory (every tool's log);
# BENCH_QUIET_WAIT=S; BENCH_SKIP="pgloader raw replicate failback" skips parts (failback without
# replicate still runs, with nothing to compare).  Exit 1 if a check fails or
# godwit fails; pgloader's type failures are reported, not counted as failures.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="${GODWIT:+GODWIT=$GODWIT }bash bench/mysql.sh $*"

ntables=4 table_size=250000 types_rows=100000 jobs=$(nproc) repeat=1
events=20000 rate=1000 seconds=30 threads=4
while [ $# -gt 0 ]; do
    case $1 in
        --tables) ntables=${2:?--tables needs a value}; shift 2 ;;
        --table-size) table_size=${2:?--table-size needs a value}; shift 2 ;;
        --types-rows) types_rows=${2:?--types-rows needs a value}; shift 2 ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --repeat) repeat=${2:?--repeat needs a value}; shift 2 ;;
        --events) events=${2:?--events needs a value}; shift 2 ;;
        --rate) rate=${2:?--rate needs a value}; shift 2 ;;
        --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
        --threads) threads=${2:?--threads needs a value}; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/mysql.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
for v in "$ntables" "$table_size" "$types_rows" "$jobs" "$repeat" "$events" "$rate" "$seconds" "$threads"; do
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ]; then echo "bench/mysql.sh: bad number '$v'" >&2; exit 2; fi
done
if [ "$types_rows" -lt 20 ]; then echo "bench/mysql.sh: --types-rows must be at least 20" >&2; exit 2; fi

GODWIT=${GODWIT:-$root/build/godwit}
case $GODWIT in /*) ;; *) GODWIT=$PWD/$GODWIT ;; esac
[ -x "$GODWIT" ] || { echo "bench/mysql.sh: $GODWIT is not built (make)" >&2; exit 2; }
for tool in sysbench pgloader mariadb psql pg_dump pg_restore /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench/mysql.sh: '$tool' missing: run 'make deps'" >&2; exit 2; }
done

skip=" ${BENCH_SKIP:-} "
work=$(mktemp -d "${TMPDIR:-/tmp}/godwit-bench-mysql.XXXXXX")
chmod 755 "$work"
BG_PIDS=()
bench_cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -s "$work/replicate.pid" ]; then kill "$(cat "$work/replicate.pid")" 2>/dev/null || true; fi
    if [ -s "$work/failback.pid" ]; then kill "$(cat "$work/failback.pid")" 2>/dev/null || true; fi
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
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b > 0) printf f, a / b; else print "n/a" }'; }
failures=0
fail() { log "FAILED: $*"; failures=$((failures + 1)); }

# ---------------------------------------------------------------- servers
log "starting MariaDB and PostgreSQL"
mariadb_server_start msrc --innodb-buffer-pool-size=1G --innodb-log-file-size=512M --max-connections=300
pg_settings=(shared_buffers=1GB max_wal_size=16GB min_wal_size=2GB checkpoint_timeout=30min
    wal_buffers=64MB maintenance_work_mem=512MB work_mem=64MB autovacuum=off max_connections=200)
pg_server_start ptgt "${pg_settings[@]}"
DB=bench
SRC="mysql://root@127.0.0.1:$MSRC_PORT/$DB"
pgurl() { pg_url ptgt "$1"; }
my() { mariadb_sql msrc "$@"; }   # as root over the socket, batch mode, no column names
pq() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(pgurl "$1")" "${@:2}"; }
my_version=$(my -e 'SELECT VERSION()')
pg_version=$(pq postgres -c 'SHOW server_version')

# ---------------------------------------------------------------- source data
my -e "CREATE DATABASE $DB"
sb_args=(--db-driver=mysql --mysql-socket="$MSRC_SOCK" --mysql-user=root --mysql-db="$DB"
    --tables="$ntables" --table-size="$table_size")
log "source: sysbench prepare --tables $ntables --table-size $table_size, alltypes $types_rows rows"
t0=$(now)
sysbench oltp_read_write "${sb_args[@]}" --threads="$jobs" prepare >"$work/prepare.log" 2>&1 ||
    { tail -n 20 "$work/prepare.log" >&2; die "sysbench prepare failed"; }

# alltypes_rows FROM TO: INSERT of rows FROM..TO of the all-types table (deterministic values).
alltypes_rows() {
    cat <<EOF
INSERT INTO alltypes
SELECT seq,
  MOD(s, 256) - 128, MOD(s, 256), MOD(s * 7, 65536) - 32768, MOD(s * 7, 65536),
  MOD(s * 13, 16777216) - 8388608, MOD(s * 13, 16777216),
  MOD(s * 2654435761, 4294967296) - 2147483648, MOD(s * 2654435761, 4294967296),
  IF(MOD(s, 97) = 0, -9223372036854775808, s * 1000003 - 500000000000),
  IF(MOD(s, 89) = 0, 18446744073709551615, seq * 1000003),
  MOD(s, 100000) / 7.0, IF(MOD(s, 5) = 0, NULL, s * 1234567.0123456789), s / 3.0,
  IF(MOD(s, 11) = 0, -0.0, s / 7.0 * 1e-5),
  MOD(s, 2), MOD(s, 4096), CAST(CONV(LEFT(MD5(s), 16), 16, 10) AS UNSIGNED), MOD(s, 2),
  LEFT(MD5(s), MOD(s, 11)),
  IF(MOD(s, 13) = 0, NULL, CONCAT('row ', s, IF(MOD(s, 17) = 0, '\\ttab\\nnl\\rcr\\\\bs', ''), ' é€ 😀')),
  REPEAT(MD5(s), 1 + MOD(s, 20)), IF(MOD(s, 50) = 0, REPEAT('x', 5000), NULL),
  UNHEX(LPAD(HEX(s), 16, '0')), UNHEX(MD5(s)), IF(MOD(s, 3) = 0, NULL, CONCAT(UNHEX(MD5(s)), 0x00090a0d5c)),
  DATE('2000-01-01') + INTERVAL MOD(s, 20000) DAY,
  TIMESTAMP('1990-01-01 00:00:00.123456') + INTERVAL s SECOND + INTERVAL MOD(s, 1000000) MICROSECOND,
  IF(MOD(s, 7) = 0, NULL, FROM_UNIXTIME(1000000000 + s) + INTERVAL MOD(s, 999999) MICROSECOND),
  SEC_TO_TIME(MOD(s, 1600000) - 800000), SEC_TO_TIME(MOD(s, 86400) + 0.5),
  1901 + MOD(s, 255), ELT(1 + MOD(s, 4), 'red', 'green', 'blue', 'it''s'), MAKE_SET(MOD(s, 16), 'a', 'b', 'c', 'd'),
  JSON_OBJECT('id', s, 'name', CONCAT('n', s), 'tags', JSON_ARRAY(MOD(s, 3), 'x'), 'f', s / 4)
FROM (SELECT seq, CAST(seq AS SIGNED) AS s FROM seq_$1_to_$2) q;
EOF
}
my "$DB" <<'EOF'
SET time_zone = '+00:00';
CREATE TABLE alltypes (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  dec1 DECIMAL(12,4), dec2 DECIMAL(30,10) UNSIGNED, f FLOAT, d DOUBLE,
  b1 BIT(1), b12 BIT(12), b64 BIT(64), bo TINYINT(1),
  ch CHAR(10), vc VARCHAR(200), tx TEXT, mtx MEDIUMTEXT,
  bn BINARY(8), vb VARBINARY(64), bl BLOB,
  dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME, tm3 TIME(3), yr YEAR,
  en ENUM('red','green','blue','it''s'), st SET('a','b','c','d'), js JSON,
  KEY alltypes_dt (dt)
) ENGINE=InnoDB;
CREATE TABLE hb (id INT PRIMARY KEY, t DATETIME(6) NOT NULL) ENGINE=InnoDB;
INSERT INTO hb VALUES (1, UTC_TIMESTAMP(6));
EOF
for ((lo = 1; lo <= types_rows; lo += 50000)); do
    hi=$((lo + 49999)); [ "$hi" -gt "$types_rows" ] && hi=$types_rows
    { echo "SET time_zone = '+00:00';"; alltypes_rows "$lo" "$hi"; } | my "$DB"
done
my "$DB" -e "ANALYZE TABLE alltypes" >/dev/null
src_load=$(secs "$t0" "$(now)")

mapfile -t tables < <(my -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB'
    ORDER BY DATA_LENGTH DESC, TABLE_NAME")
sb_tables=()
for t in "${tables[@]}"; do [[ $t == sbtest* ]] && sb_tables+=("$t"); done
src_size=$(my -e "SELECT ROUND(SUM(DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB'")
# "table count" of every source table, sorted by name.
src_counts() {
    local t
    for t in "${tables[@]}"; do printf '%s %s\n' "$t" "$(my "$DB" -e "SELECT COUNT(*) FROM \`$t\`")"; done | sort
}
src_counts >"$work/counts.src"
src_rows=$(awk '{ n += $2 } END { print n }' "$work/counts.src")
log "source ready in ${src_load}s: ${#tables[@]} tables, $src_rows rows, ${src_size} MB (data + indexes)"

# ---------------------------------------------------------------- checks
# Hash of the sysbench columns: "count sum(k) h1 h2", h1/h2 = sums of two 32-bit slices of each row's md5.
my_sbhash() {
    my "$DB" -e "SELECT CONCAT_WS(' ', COUNT(*), COALESCE(SUM(k), 0), COALESCE(SUM(CONV(LEFT(h, 8), 16, 10)), 0),
        COALESCE(SUM(CONV(SUBSTR(h, 9, 8), 16, 10)), 0))
        FROM (SELECT k, MD5(CONCAT_WS(',', id, k, c, pad)) h FROM \`$1\`) x"
}
pg_sbhash() {   # db table
    pq "$1" -c "SELECT concat_ws(' ', count(*), coalesce(sum(k), 0), coalesce(sum(('x' || left(h, 8))::bit(32)::bigint), 0),
        coalesce(sum(('x' || substr(h, 9, 8))::bit(32)::bigint), 0))
        FROM (SELECT k, md5(concat_ws(',', id, k, c::text, pad::text)) h FROM $DB.\"$2\") x"
}
# Hash of whole rows (their PostgreSQL text): "count h1 h2".
pg_rowhash() {   # db table
    pq "$1" -c "SELECT concat_ws(' ', count(*), coalesce(sum(('x' || left(h, 8))::bit(32)::bigint), 0),
        coalesce(sum(('x' || substr(h, 9, 8))::bit(32)::bigint), 0))
        FROM (SELECT md5(x::text) h FROM $DB.\"$2\" x) s"
}
pg_counts() {   # db: "table count" lines, sorted
    local t
    for t in "${tables[@]}"; do
        printf '%s %s\n' "$t" "$(pq "$1" -c "SELECT count(*) FROM $DB.\"$t\"" 2>/dev/null || echo missing)"
    done | sort
}
src_sbhash() { local t; for t in "${sb_tables[@]}"; do echo "$t $(my_sbhash "$t")"; done >"$work/sbhash.src"; }
src_sbhash

# check_load NAME DB: counts against the source; 0 if equal.  Writes $work/counts.NAME.
check_counts() {
    pg_counts "$2" >"$work/counts.$1"
    if ! diff "$work/counts.src" "$work/counts.$1" >"$work/counts.$1.diff"; then
        log "$1: row counts differ from the source (< source, > target):"; cat "$work/counts.$1.diff" >&2
        return 1
    fi
}
# check_sb NAME DB: the sysbench tables' hashes against MariaDB's; 0 if equal.
check_sb() {
    local t
    for t in "${sb_tables[@]}"; do echo "$t $(pg_sbhash "$2" "$t")"; done >"$work/sbhash.$1"
    if ! diff "$work/sbhash.src" "$work/sbhash.$1" >"$work/sbhash.$1.diff"; then
        log "$1: sysbench tables differ from the source (< MariaDB, > PostgreSQL):"; cat "$work/sbhash.$1.diff" >&2
        return 1
    fi
}

# ---------------------------------------------------------------- CPU accounting
clk_tck=$(getconf CLK_TCK)
machine_busy() { awk -v hz="$clk_tck" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat; }
servers_cpu() {   # CPU s of both servers: mariadbd (all threads), the postmaster and its children
    local pm ticks=0 t kids
    t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$(cat "$MSRC_DIR/mariadbd.pid")/stat" 2>/dev/null || echo 0)
    ticks=$((ticks + t))
    pm=$(head -n 1 "$PTGT_DIR/postmaster.pid")
    t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat" 2>/dev/null || echo 0)
    ticks=$((ticks + t))
    kids=$(ps -o pid= --ppid "$pm" | tr -d ' ' | sed 's|.*|/proc/&/stat|' | tr '\n' ' ')
    if [ -n "$kids" ]; then
        # shellcheck disable=SC2086
        t=$(cat $kids 2>/dev/null | awk '{ n += $14 + $15 } END { print n + 0 }')
        ticks=$((ticks + t))
    fi
    awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'
}
pg_nproc() { ps -o pid= --ppid "$(head -n 1 "$PTGT_DIR/postmaster.pid")" | wc -l; }
quiet_failed=""
wait_quiet() {   # until other processes use < 0.15 core over 1 s, at most BENCH_QUIET_WAIT s
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-120})) b0 b1 s0 s1 busy warned=""
    quiet_failed=""
    while :; do
        b0=$(machine_busy); s0=$(servers_cpu); sleep 1; b1=$(machine_busy); s1=$(servers_cpu)
        busy=$(awk -v a="$b0" -v b="$b1" -v c="$s0" -v d="$s1" 'BEGIN { printf "%.2f", (b - a) - (d - c) }')
        if awk -v x="$busy" 'BEGIN { exit !(x < 0.15) }'; then return 0; fi
        if [ $SECONDS -ge $deadline ]; then
            log "machine still busy (${busy} cores used by other processes): measuring anyway, run starred"
            quiet_failed=1; return 0
        fi
        [ -z "$warned" ] && log "waiting for the machine to be quiet (${busy} cores used by other processes)"
        warned=1
    done
}
# timed NAME CMD...: GNU time; stdout/stderr in $work/NAME.{out,err}; sets T_WALL T_RSS (MB of the
# largest process) T_CPU (tool) T_SCPU (servers) T_OTHER (everything else).  Returns CMD's status.
timed() {
    local name=$1; shift
    local rc=0 b0 b1 s0 s1 n0 until
    b0=$(machine_busy); s0=$(servers_cpu); n0=$(pg_nproc)
    /usr/bin/time -o "$work/$name.time" -f '%e %M %U %S' "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    until=$((SECONDS + 5))
    while [ "$(pg_nproc)" -gt "$n0" ] && [ $SECONDS -lt $until ]; do sleep 0.05; done
    b1=$(machine_busy); s1=$(servers_cpu)
    read -r T_WALL T_RSS_KB T_U T_S < <(tail -n 1 "$work/$name.time")
    T_RSS=$(awk -v k="$T_RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')
    T_CPU=$(awk -v u="$T_U" -v s="$T_S" 'BEGIN { printf "%.1f", u + s }')
    T_SCPU=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')
    T_OTHER=$(awk -v a="$b0" -v b="$b1" -v c="$T_SCPU" -v d="$T_CPU" 'BEGIN { x = (b - a) - c - d; printf "%.1f", (x < 0 ? 0 : x) }')
    return $rc
}

# Results per row NAME, one value per round: rec NAME STATUS WHAT WALL [RSS TOOLCPU SRVCPU OTHER ROWS]
declare -A R_WALL R_RSS R_CPU R_SCPU R_OTHER R_STATUS R_WHAT R_ROWS
R_ORDER=()
rec() {
    local n=$1 status=$2 what=$3 wall=$4 rss=${5:-} cpu=${6:-} scpu=${7:-} other=${8:-} rows=${9:-}
    if [ -z "${R_WHAT[$n]+x}" ]; then R_ORDER+=("$n"); R_STATUS[$n]=ok; fi
    R_WHAT[$n]=$what
    [ "$status" != ok ] && R_STATUS[$n]=$status
    local mark=""
    if [ -n "$quiet_failed" ] || { [ -n "$other" ] && awk -v o="$other" -v w="$wall" 'BEGIN { exit !(o > 0.25 * w && o > 0.3) }'; }; then
        mark="*"
    fi
    R_WALL[$n]+="$wall$mark "
    [ -n "$rss" ] && R_RSS[$n]+="$rss "
    [ -n "$cpu" ] && R_CPU[$n]+="$cpu "
    [ -n "$scpu" ] && R_SCPU[$n]+="$scpu "
    [ -n "$other" ] && R_OTHER[$n]+="$other "
    [ -n "$rows" ] && R_ROWS[$n]=$rows
    return 0
}
sum() { awk 'BEGIN { for (i = 1; i < ARGC; i++) n += ARGV[i]; printf "%.2f", n }' "$@"; }
median() { tr ' ' '\n' <<<"$1" | tr -d '*' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) print ""; else if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n 1; }

fresh_db() {   # drops and creates database $1 on PostgreSQL, then waits for a quiet machine
    pq postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    pq postgres -c 'CHECKPOINT'
    wait_quiet
}

# ---------------------------------------------------------------- godwit fetch
run_godwit() {
    local tag=godwit.$1 status=ok
    fresh_db ${DB}_g
    log "$tag: godwit fetch --jobs $jobs"
    # shellcheck disable=SC2016 # expanded by the inner shell
    if ! timed "$tag" bash -c 'date +%s.%N >"$0"; exec "$@"' "$work/$tag.start" \
            "$GODWIT" fetch --source "$SRC" --target "$(pgurl ${DB}_g)" --jobs "$jobs" -v; then
        log "$tag: godwit failed; last lines of its log:"; tail -n 15 "$work/$tag.err" >&2
        fail "godwit fetch exited with an error"
        rec godwit FAILED "godwit fetch: schema, data, keys/indexes, state" "$T_WALL"
        return 1
    fi
    local -a r=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    local last copy=""
    last=$(grep -E ' debug +worker [0-9]+: .* shard [0-9]+/[0-9]+: [0-9]+ rows' "$work/$tag.err" | tail -n 1 | cut -d' ' -f1)
    [ -n "$last" ] && copy=$(secs "$(cat "$work/$tag.start")" "$(date -u -d "$last" +%s.%N)")
    check_counts "$tag" ${DB}_g || { status="WRONG COUNTS"; fail "godwit: row counts"; }
    check_sb "$tag" ${DB}_g || { status="WRONG DATA"; fail "godwit: sysbench tables differ from MariaDB"; }
    grep -E ' (warn|error) +' "$work/$tag.err" | head -n 5 | sed 's/^/    godwit said: /' >&2 || true
    rec godwit "$status" "godwit fetch: schema, data, keys/indexes, state" "${r[@]}" "$src_rows"
    [ -n "$copy" ] && rec "godwit copy" "$status" "start to last shard committed (-v log)" "$copy" "" "" "" "${r[4]}" "$src_rows"
    log "$tag: ${r[0]}s (copy phase ${copy:-?}s), peak RSS ${r[1]} MB, CPU: godwit ${r[2]}s, servers ${r[3]}s, other ${r[4]}s"
    if [ ! -e "$work/schema.dump" ]; then
        pg_dump -Fc --schema-only --exclude-schema=_godwit -d "$(pgurl ${DB}_g)" -f "$work/schema.dump"
    fi
}

# ---------------------------------------------------------------- pgloader
PGL_NOTE=""
run_pgloader() {
    local tag=pgloader.$1 status=ok rc=0
    fresh_db ${DB}_p
    log "$tag: pgloader, workers $((2 * jobs)), concurrency 1"
    rm -rf "$work/$tag.dir"
    timed "$tag" pgloader --dynamic-space-size 8192 -D "$work/$tag.dir" -S "$work/$tag.summary" \
        --with "workers = $((2 * jobs))" --with "concurrency = 1" --with "max parallel create index = $jobs" \
        "mysql://root@127.0.0.1:$MSRC_PORT/$DB" "postgresql://postgres@127.0.0.1:$PTGT_PORT/${DB}_p" || rc=$?
    local -a r=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if [ "$rc" -ne 0 ] || [ ! -s "$work/$tag.summary" ]; then
        log "$tag: pgloader exited $rc; its last lines:"; tail -n 10 "$work/$tag.out" "$work/$tag.err" >&2
        rec pgloader "FAILED (exit $rc)" "pgloader: schema, data, indexes, sequences" "${r[0]}"
        PGL_NOTE="pgloader exited $rc"
        return 0
    fi
    # Summary lines "bench.table  errors  rows  bytes  time".
    local loaded bad=""
    loaded=$(awk -v db="$DB" '$1 ~ "^" db "\\." && $2 ~ /^[0-9]+$/ { n += $3 } END { print n + 0 }' "$work/$tag.summary")
    bad=$(awk -v db="$DB" '$1 ~ "^" db "\\." && $2 ~ /^[0-9]+$/ && $2 > 0 { sub("^" db "\\.", "", $1); printf "%s ", $1 }' "$work/$tag.summary")
    pg_counts ${DB}_p >"$work/counts.$tag"
    local missing
    missing=$(join "$work/counts.src" "$work/counts.$tag" | awk '$2 != $3 { printf "%s%s %s of %s rows", (n++ ? "; " : ""), $1, $3, $2 }')
    if [ -n "$bad" ] || [ -n "$missing" ]; then
        status="PARTIAL"
        PGL_NOTE="pgloader did not load everything: ${missing:-see errors}"
        local e
        e=$(grep -h -A1 -E ' (ERROR|FATAL) ' "$work/$tag.out" "$work/$tag.err" 2>/dev/null | grep -v '^--$' | head -n 6 || true)
        PGL_NOTE+=$'\n'"  its errors: "$(sed 's/^[0-9TZ:.-]* //' <<<"$e" | tr '\n' ' ' | cut -c1-400)
        log "$tag: PARTIAL: $PGL_NOTE"
    fi
    if ! check_sb "$tag" ${DB}_p; then status="WRONG DATA"; PGL_NOTE+=$'\n'"  sysbench tables differ from the source"; fi
    rec pgloader "$status" "pgloader: schema, data, indexes, sequences" "${r[@]}" "$loaded"
    log "$tag: ${r[0]}s, $loaded rows, peak RSS ${r[1]} MB, CPU: pgloader ${r[2]}s, servers ${r[3]}s, other ${r[4]}s"
}

# ---------------------------------------------------------------- raw pipe
# The SELECT of table $1 for the pipe, and the mariadb flags: plain for the sysbench tables,
# --raw with per-column expressions for the others.
raw_select() {
    local t=$1
    if [[ $t == sbtest* ]]; then
        echo "SELECT id, k, c, pad FROM \`$t\`" >"$work/raw.sql.$t"
        echo "" >"$work/raw.flags.$t"
        return
    fi
    echo "--raw" >"$work/raw.flags.$t"
    # Generated SQL: the literals below are unescaped once here, once when the generated SELECT runs.
    my "$DB" --raw <<EOF >"$work/raw.sql.$t"
SET SESSION group_concat_max_len = 1048576;
SELECT CONCAT('SET time_zone = ''+00:00''; SELECT ', GROUP_CONCAT(
  CASE WHEN IS_NULLABLE = 'YES' THEN CONCAT('COALESCE(', e, ', ''\\\\\\\\N'')') ELSE e END
  ORDER BY ORDINAL_POSITION SEPARATOR ', '), ' FROM \`', TABLE_NAME, '\`')
FROM (
  SELECT TABLE_NAME, ORDINAL_POSITION, IS_NULLABLE,
    CASE
      WHEN DATA_TYPE IN ('char','varchar','tinytext','text','mediumtext','longtext','enum','json')
        THEN CONCAT('REPLACE(REPLACE(REPLACE(REPLACE(', q, ', ''\\\\\\\\'', ''\\\\\\\\\\\\\\\\''), ''\\\\t'', ''\\\\\\\\t''), ''\\\\n'', ''\\\\\\\\n''), ''\\\\r'', ''\\\\\\\\r'')')
      WHEN DATA_TYPE IN ('binary','varbinary','tinyblob','blob','mediumblob','longblob')
        THEN CONCAT('CONCAT(''\\\\\\\\\\\\\\\\x'', HEX(', q, '))')
      WHEN DATA_TYPE = 'bit' THEN CONCAT('LPAD(BIN(', q, ' + 0), ', NUMERIC_PRECISION, ', ''0'')')
      WHEN DATA_TYPE = 'float' THEN CONCAT('CAST(', q, ' AS DOUBLE)')
      WHEN DATA_TYPE = 'set' THEN CONCAT('CONCAT(''{'', ', q, ', ''}'')')
      ELSE q
    END AS e
  FROM (SELECT *, CONCAT('\`', COLUMN_NAME, '\`') AS q FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$t') c
) x GROUP BY TABLE_NAME;
EOF
}
for t in "${tables[@]}"; do raw_select "$t"; done
printf '%s\n' "${tables[@]}" >"$work/raw.tables"   # largest first
cat >"$work/pipe_one.sh" <<'EOF'
#!/usr/bin/env bash
# One table of the raw pipe: pipe_one.sh TABLE (W, SOCK, DB, TGT from the environment).
set -euo pipefail
t=$1
read -r flags <"$W/raw.flags.$t" || flags=""
s=$(date +%s.%N)
# shellcheck disable=SC2086
mariadb --no-defaults --default-character-set=utf8mb4 -S "$SOCK" -u root --quick -N -B $flags "$DB" <"$W/raw.sql.$t" |
    PGTZ=UTC psql -X -q -v ON_ERROR_STOP=1 -d "$TGT" -c "COPY $DB.\"$t\" FROM STDIN"
echo "$t $(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" >>"$W/raw.times"
EOF

run_raw() {
    local tag=raw.$1 status=ok
    [ -e "$work/schema.dump" ] || { log "raw: no schema dump from godwit's target: skipped"; return 0; }
    fresh_db ${DB}_r
    log "$tag: schema (pre-data), mariadb | psql per table with $jobs at a time, post-data -j $jobs"
    timed "$tag-pre" pg_restore --section=pre-data --exit-on-error -d "$(pgurl ${DB}_r)" "$work/schema.dump" ||
        { tail -n 5 "$work/$tag-pre.err" >&2; die "raw: pre-data restore failed"; }
    local -a pre=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    : >"$work/raw.times"
    if ! timed "$tag" env W="$work" SOCK="$MSRC_SOCK" DB="$DB" TGT="$(pgurl ${DB}_r)" \
            xargs -P "$jobs" -n 1 -d '\n' -a "$work/raw.tables" bash "$work/pipe_one.sh"; then
        log "$tag: copy failed:"; tail -n 10 "$work/$tag.err" >&2
        status=FAILED; fail "raw pipe copy"
    fi
    local -a cp=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if ! timed "$tag-post" pg_restore --section=post-data -j "$jobs" --exit-on-error -d "$(pgurl ${DB}_r)" "$work/schema.dump"; then
        log "$tag: post-data restore failed:"; tail -n 5 "$work/$tag-post.err" >&2
        status=FAILED; fail "raw pipe post-data"
    fi
    local -a post=("$T_WALL" "$T_RSS" "$T_CPU" "$T_SCPU" "$T_OTHER")
    if [ "$status" = ok ]; then
        check_counts "$tag" ${DB}_r || { status="WRONG COUNTS"; fail "raw pipe: row counts"; }
        check_sb "$tag" ${DB}_r || { status="WRONG DATA"; fail "raw pipe: sysbench tables differ from MariaDB"; }
    fi
    local rss; rss=$(printf '%s\n' "${pre[1]}" "${cp[1]}" "${post[1]}" | sort -g | tail -n 1)
    rec "raw pipe total" "$status" "schema + copy + keys/indexes" \
        "$(sum "${pre[0]}" "${cp[0]}" "${post[0]}")" "$rss" "$(sum "${pre[2]}" "${cp[2]}" "${post[2]}")" \
        "$(sum "${pre[3]}" "${cp[3]}" "${post[3]}")" "$(sum "${pre[4]}" "${cp[4]}" "${post[4]}")" "$src_rows"
    rec "raw pipe schema" "$status" "pg_restore --section=pre-data (godwit's DDL)" "${pre[@]}"
    rec "raw pipe copy" "$status" "mariadb | psql COPY per table, $jobs at a time" "${cp[@]}" "$src_rows"
    rec "raw pipe indexes" "$status" "pg_restore --section=post-data -j $jobs" "${post[@]}"
    log "$tag: schema ${pre[0]}s, copy ${cp[0]}s (servers ${cp[3]}s CPU, other ${cp[4]}s), keys/indexes ${post[0]}s; per table: $(sort -k2 -gr "$work/raw.times" | tr '\n' ' ')"
}

# compare_godwit_raw: every table's row hash, godwit's target against the raw pipe's.
EQ_NOTE=""
compare_godwit_raw() {
    local t a b same=0 diff=""
    for t in "${tables[@]}"; do
        a=$(pg_rowhash ${DB}_g "$t"); b=$(pg_rowhash ${DB}_r "$t")
        if [ "$a" = "$b" ]; then same=$((same + 1)); else diff+="$t "; fi
    done
    EQ_NOTE="row hashes godwit = raw pipe: $same/${#tables[@]} tables equal${diff:+; DIFFERENT: $diff}"
    [ -z "$diff" ] || { fail "godwit's and the raw pipe's targets differ: $diff"; return 1; }
}

# ---------------------------------------------------------------- fetch rounds
contenders=(godwit)
case $skip in *" pgloader "*) ;; *) contenders+=(pgloader) ;; esac
case $skip in *" raw "*) ;; *) contenders+=(raw) ;; esac
for ((round = 1; round <= repeat; round++)); do
    # godwit first in round 1 (the raw pipe uses its DDL), then rotated.
    for ((i = 0; i < ${#contenders[@]}; i++)); do
        c=${contenders[$(((i + round - 1) % ${#contenders[@]}))]}
        case $c in
            godwit) run_godwit "$round" || true ;;
            pgloader) run_pgloader "$round" ;;
            raw) run_raw "$round" ;;
        esac
    done
    if [ -n "${R_WHAT[raw pipe total]+x}" ] && [ "${R_STATUS[godwit]:-}" = ok ] && [ "${R_STATUS[raw pipe total]}" = ok ]; then
        compare_godwit_raw || true
    fi
done
# The last godwit fetch is the one replicate continues; it must have run last among godwit runs
# and left its target, which no other contender touches.
if [ "${R_STATUS[godwit]:-FAILED}" != ok ]; then
    case $skip in *" replicate "*) ;; *) skip+=" replicate " ;; esac
    case $skip in *" failback "*) ;; *) skip+=" failback " ;; esac
    log "godwit fetch failed: replicate and failback skipped"
fi

# ---------------------------------------------------------------- replicate
TG=$(pgurl ${DB}_g)
applied_changes() {   # DIRECTION LOG: the last "DIRECTION <phase>: N transactions, M changes applied" of LOG: "N M"
    grep -E "$1 [^ ]+: [0-9]+ transactions, [0-9]+ changes applied" "$2" | tail -n 1 |
        sed -E 's/.*: ([0-9]+) transactions, ([0-9]+) changes applied.*/\1 \2/'
}
repl_changes() { applied_changes replicate "$1"; }
lag_stats() {   # FILE of lag samples (s), one a line: "median p99 max count"
    grep -E '^-?[0-9.]+$' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a n/a 0"; exit }
            p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
            printf "%.3f %.3f %.3f %d\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[p], v[NR], NR }'
}
binlog_bytes() { my -e 'SHOW BINARY LOGS' | awk '{ n += $2 } END { print n + 0 }'; }
check_repl() {   # NAME: sysbench tables and the heartbeat equal on both sides
    local bad=0 a b
    src_sbhash   # the source has changed since the fetch
    check_sb "$1" ${DB}_g || { bad=1; sb_rowdiff "$1"; }
    a=$(my "$DB" -e "SELECT DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f') FROM hb")
    b=$(pq ${DB}_g -c "SELECT to_char(t, 'YYYY-MM-DD HH24:MI:SS.US') FROM $DB.hb")
    [ "$a" = "$b" ] || { log "$1: heartbeat differs: MariaDB $a, PostgreSQL $b"; bad=1; }
    return $bad
}
sb_rowdiff() {   # NAME: the first rows of the sysbench tables that differ (< MariaDB, > PostgreSQL), into the log
    local t
    for t in "${sb_tables[@]}"; do
        my "$DB" -e "SELECT CONCAT_WS(' ', '$t', id, k, MD5(CONCAT_WS(',', id, k, c, pad))) FROM \`$t\` ORDER BY id" >"$work/rows.$1.$t.my"
        pq ${DB}_g -c "SELECT concat_ws(' ', '$t', id, k, md5(concat_ws(',', id, k, c::text, pad::text))) FROM $DB.\"$t\" ORDER BY id" >"$work/rows.$1.$t.pg"
        diff "$work/rows.$1.$t.my" "$work/rows.$1.$t.pg" | grep '^[<>]' | head -n 10 | sed 's/^/    /' >&2 || true
    done
}
declare -A RP
run_replicate() {
    local gw_repl=("$GODWIT" replicate --source "$SRC" --target "$TG")
    # -- backlog
    local b0 b1 rc=0 s0
    b0=$(binlog_bytes)
    log "backlog: sysbench oltp_write_only run --events $events --threads $threads (nothing replicating)"
    s0=$(now)
    sysbench oltp_write_only "${sb_args[@]}" --threads="$threads" --events="$events" --time=0 run >"$work/backlog.sysbench" 2>&1 ||
        { tail -n 20 "$work/backlog.sysbench" >&2; die "sysbench run (backlog) failed"; }
    RP[backlog_load_s]=$(secs "$s0" "$(now)")
    b1=$(binlog_bytes)
    RP[backlog_binlog_mb]=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.1f", (b - a) / 1048576 }')
    log "backlog: applying it with godwit replicate --stop-when-caught-up"
    timed repl.backlog "${gw_repl[@]}" --stop-when-caught-up || rc=$?
    RP[backlog_s]=$T_WALL RP[backlog_rss]=$T_RSS RP[backlog_cpu]=$T_CPU RP[backlog_scpu]=$T_SCPU RP[backlog_other]=$T_OTHER
    if [ "$rc" -ne 0 ]; then
        tail -n 15 "$work/repl.backlog.err" >&2; fail "godwit replicate (backlog) exited $rc"; return 0
    fi
    read -r 'RP[backlog_txns]' 'RP[backlog_changes]' < <(repl_changes "$work/repl.backlog.err") || true
    RP[backlog_rate]=$(div "${RP[backlog_changes]:-0}" "$T_WALL" '%.0f')
    RP[backlog_eq]=equal
    check_repl backlog || { RP[backlog_eq]=DIFFERENT; fail "replicate backlog: tables differ"; }
    log "backlog: ${RP[backlog_txns]:-?} transactions, ${RP[backlog_changes]:-?} changes in ${T_WALL}s = ${RP[backlog_rate]} changes/s; ${RP[backlog_eq]}"

    # -- all-types changes
    local upd del ins hi=$((types_rows + types_rows / 10))
    log "all types: updating, deleting and inserting 10% of alltypes each"
    read -r upd del ins < <({ cat <<'EOF'
SET time_zone = '+00:00';
UPDATE alltypes SET ti = IF(ti = -128, 0, -ti), tiu = 255 - tiu, si = IF(si = -32768, 0, -si), siu = 65535 - siu,
  mi = IF(mi = -8388608, 0, -mi), miu = 16777215 - miu, i = IF(i = -2147483648, 0, -i), iu = 4294967295 - iu, bi = IF(bi = -9223372036854775808, 9223372036854775807, -bi),
  biu = IFNULL(biu, 0) DIV 2, dec1 = -dec1, dec2 = IF(dec2 IS NULL, 0.0000000001, NULL), f = f * 3, d = -d,
  b1 = b1 ^ 1, b12 = b12 ^ 5, b64 = ~b64, bo = 1 - bo, ch = 'changed', vc = CONCAT(IFNULL(vc, ''), ' upd\t\\'),
  tx = CONCAT(tx, '\n'), mtx = IF(mtx IS NULL, REPEAT('y', 9000), NULL), bn = REVERSE(bn), vb = NULL,
  bl = CONCAT(IFNULL(bl, ''), 0x00ff0d), dt = dt + INTERVAL 1 DAY, dtm = dtm + INTERVAL 1 MICROSECOND,
  ts = IFNULL(ts + INTERVAL 1 SECOND, '2020-02-29 12:00:00.5'), tm = tm - INTERVAL 1 HOUR, tm3 = '-838:59:59',
  yr = IF(yr = 2155, 1901, yr + 1), en = IF(en = 'red', 'it''s', 'red'), st = IF(st = '', 'a,b,c,d', ''),
  js = JSON_SET(js, '$.u', JSON_ARRAY(1, 'é', NULL, 2.5))
WHERE id % 10 = 0;
SELECT ROW_COUNT() INTO @u;
DELETE FROM alltypes WHERE id % 10 = 1;
SELECT ROW_COUNT() INTO @d;
EOF
        alltypes_rows "$((types_rows + 1))" "$hi"
        echo "SELECT ROW_COUNT() INTO @i; SELECT @u, @d, @i;"; } | my "$DB")
    RP[types_changes]=$((upd + del + ins)) RP[types_what]="$upd updated, $del deleted, $ins inserted"
    rc=0
    timed repl.types "${gw_repl[@]}" --stop-when-caught-up || rc=$?
    RP[types_s]=$T_WALL RP[types_rss]=$T_RSS
    if [ "$rc" -ne 0 ]; then
        tail -n 15 "$work/repl.types.err" >&2; fail "godwit replicate (all types) exited $rc"; return 0
    fi
    local ch
    read -r _ ch < <(repl_changes "$work/repl.types.err") || true
    RP[types_logged]=${ch:-?}
    RP[types_rate]=$(div "${ch:-0}" "$T_WALL" '%.0f')
    # The replicated table against a fresh fetch of it.
    pq postgres -c "DROP DATABASE IF EXISTS ${DB}_c WITH (FORCE)" -c "CREATE DATABASE ${DB}_c"
    RP[types_eq]=DIFFERENT
    if "$GODWIT" fetch -q --no-stream --tables "$DB.alltypes" --source "$SRC" --target "$(pgurl ${DB}_c)" \
            >"$work/types.fetch.out" 2>"$work/types.fetch.err"; then
        local a b c
        a=$(pg_rowhash ${DB}_g alltypes); b=$(pg_rowhash ${DB}_c alltypes)
        c=$(my "$DB" -e 'SELECT COUNT(*) FROM alltypes')
        if [ "$a" = "$b" ] && [ "${a%% *}" = "$c" ]; then RP[types_eq]=equal; else
            log "all types: replicated alltypes (count h1 h2: $a) differs from a fresh fetch ($b; MariaDB count $c)"
            fail "replicated alltypes differs from a fresh fetch"
        fi
    else
        tail -n 5 "$work/types.fetch.err" >&2; fail "godwit fetch --tables $DB.alltypes failed"
    fi
    check_repl types || fail "replicate (all types): sysbench tables or heartbeat differ"
    log "all types: ${RP[types_what]}: ${ch:-?} changes in ${T_WALL}s = ${RP[types_rate]} changes/s; replicated = fetched: ${RP[types_eq]}"

    # -- lag under a steady load
    log "lag: godwit replicate in the background, sysbench --rate $rate --time $seconds, heartbeat every 100 ms"
    rm -f "$work/replicate.pid"
    # shellcheck disable=SC2016 # expanded by the inner shell
    /usr/bin/time -o "$work/repl.lag.time" -f '%e %M %U %S' bash -c 'echo $$ >"$0"; exec "$@"' "$work/replicate.pid" \
        "${gw_repl[@]}" >"$work/repl.lag.out" 2>"$work/repl.lag.err" &
    local tpid=$!
    BG_PIDS+=("$tpid")
    local hb_secs=$((seconds + 3))
    my "$DB" >"$work/hb.out" 2>&1 <<EOF &
SET @end = NOW(6) + INTERVAL $hb_secs SECOND;
DELIMITER //
BEGIN NOT ATOMIC
  WHILE NOW(6) < @end DO
    UPDATE hb SET t = UTC_TIMESTAMP(6) WHERE id = 1;
    DO SLEEP(0.1);
  END WHILE;
END//
EOF
    local hbpid=$!
    BG_PIDS+=("$hbpid")
    # Wait until the heartbeat arrives fresh on the target: the replicator is running and caught up.
    local lagq="SELECT extract(epoch FROM (clock_timestamp() AT TIME ZONE 'UTC') - t) FROM $DB.hb" until=$((SECONDS + 60)) l
    while :; do
        l=$(pq ${DB}_g -c "$lagq" 2>/dev/null || echo 999)
        awk -v x="$l" 'BEGIN { exit !(x < 1) }' && break
        kill -0 "$tpid" 2>/dev/null || { tail -n 15 "$work/repl.lag.err" >&2; die "godwit replicate exited early"; }
        [ $SECONDS -lt $until ] || die "lag: the heartbeat did not reach the target within 60 s (last lag ${l}s)"
        sleep 0.1
    done
    printf '%s\n\\watch 0.1\n' "$lagq" >"$work/lag.sql"
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -d "$TG" -f "$work/lag.sql" >"$work/lag.samples" 2>/dev/null &
    local rdpid=$!
    BG_PIDS+=("$rdpid")
    sysbench oltp_write_only "${sb_args[@]}" --threads="$threads" --rate="$rate" --time="$seconds" --events=0 run \
        >"$work/lag.sysbench" 2>&1 || { tail -n 20 "$work/lag.sysbench" >&2; die "sysbench run (lag) failed"; }
    kill "$rdpid" 2>/dev/null || true; wait "$rdpid" 2>/dev/null || true
    RP[lag_tps]=$(sed -nE 's/.*transactions: +[0-9]+ +\(([0-9.]+) per sec.*/\1/p' "$work/lag.sysbench" | head -n 1)
    # The heartbeat loop ends by itself; then the target must receive its last value.
    wait "$hbpid" || { cat "$work/hb.out" >&2; fail "the heartbeat loop failed"; }
    local last t0d
    last=$(my "$DB" -e "SELECT DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f') FROM hb")
    t0d=$(now); until=$((SECONDS + 300))
    while [ "$(pq ${DB}_g -c "SELECT to_char(t, 'YYYY-MM-DD HH24:MI:SS.US') FROM $DB.hb")" != "$last" ]; do
        [ $SECONDS -lt $until ] || { fail "lag: the last heartbeat did not arrive within 300 s"; break; }
        kill -0 "$tpid" 2>/dev/null || { fail "godwit replicate exited during the lag run"; break; }
        sleep 0.05
    done
    RP[drain_s]=$(secs "$t0d" "$(now)")
    kill -TERM "$(cat "$work/replicate.pid")" 2>/dev/null || true
    rc=0; wait "$tpid" || rc=$?
    RP[lag_exit]=$rc
    BG_PIDS=(); rm -f "$work/replicate.pid"   # all waited for: nothing left to kill
    [ "$rc" -eq 0 ] || { tail -n 10 "$work/repl.lag.err" >&2; fail "godwit replicate exited $rc after SIGTERM"; }
    read -r _ 'RP[lag_rss_kb]' _ _ < <(tail -n 1 "$work/repl.lag.time") || true
    RP[lag_rss]=$(awk -v k="${RP[lag_rss_kb]:-0}" 'BEGIN { printf "%.0f", k / 1024 }')
    read -r 'RP[lag_txns]' 'RP[lag_changes]' < <(repl_changes "$work/repl.lag.err") || true
    read -r 'RP[lag_med]' 'RP[lag_p99]' 'RP[lag_max]' 'RP[lag_n]' < <(lag_stats "$work/lag.samples")
    RP[lag_eq]=equal
    check_repl lag || { RP[lag_eq]=DIFFERENT; fail "replicate (lag run): tables differ"; }
    log "lag: median ${RP[lag_med]}s, p99 ${RP[lag_p99]}s, max ${RP[lag_max]}s over ${RP[lag_n]} samples at ${RP[lag_tps]:-?} tps; drained in ${RP[drain_s]}s; ${RP[lag_eq]}"
}
case $skip in *" replicate "*) ;; *) run_replicate ;; esac

# ---------------------------------------------------------------- failback
# The same measurements the other way round, after every forward one (the first failback run ends
# forward replication of the phase): sysbench writes to PostgreSQL (godwit's target: database
# ${DB}_g, the tables in schema $DB, reached through PGOPTIONS' search_path) and godwit failback
# applies the changes to MariaDB.
sb_pg_args=(--db-driver=pgsql --pgsql-host=127.0.0.1 --pgsql-port="$PTGT_PORT" --pgsql-user=postgres
    --pgsql-db="${DB}_g" --tables="$ntables" --table-size="$table_size")
# The writers on PostgreSQL commit with synchronous_commit=on (the server's default is off here):
# a walsender sends only flushed WAL, so with off every commit would wait for the WAL writer
# (wal_writer_delay, 200 ms) before failback could see it.  fsync=off keeps the flush cheap.
pg_writer_opts="-c synchronous_commit=on -c client_min_messages=warning"
sb_pg() { PGOPTIONS="$pg_writer_opts -c search_path=$DB,public" sysbench oltp_write_only "${sb_pg_args[@]}" "$@"; }
my_status() { my -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit')" | awk '{ printf "%s ", $2 }'; }
declare -A FB
run_failback() {
    local gw_fb=("$GODWIT" failback --source "$SRC" --target "$TG") rc=0 s0
    # -- prepare: cutover drains forward replication and creates the failback slot on the target
    log "failback: cutover --fence --verify none (drains forward replication, creates the failback slot)"
    timed fb.prepare "$GODWIT" cutover --source "$SRC" --target "$TG" --phase default --fence --verify none || rc=$?
    FB[prepare_s]=$T_WALL
    if [ "$rc" -ne 0 ]; then
        tail -n 15 "$work/fb.prepare.err" >&2; fail "godwit cutover (prepare failback) exited $rc"; return 0
    fi
    check_repl fb.prepare || fail "failback prepare: tables differ before any failback load"

    # -- backlog
    log "failback backlog: sysbench oltp_write_only --db-driver=pgsql run --events $events --threads $threads on PostgreSQL (nothing streaming back)"
    s0=$(now)
    sb_pg --threads="$threads" --events="$events" --time=0 run >"$work/fb.backlog.sysbench" 2>&1 ||
        { tail -n 20 "$work/fb.backlog.sysbench" >&2; die "sysbench run on PostgreSQL (failback backlog) failed"; }
    FB[backlog_load_s]=$(secs "$s0" "$(now)")
    FB[backlog_ignored]=$(sed -nE 's/.*ignored errors: +([0-9]+).*/\1/p' "$work/fb.backlog.sysbench" | head -n 1)
    log "failback backlog: applying it with godwit failback --stop-when-caught-up"
    rc=0
    local st0 st1
    st0=$(my_status)
    timed fb.backlog "${gw_fb[@]}" --stop-when-caught-up || rc=$?
    st1=$(my_status)
    FB[backlog_s]=$T_WALL FB[backlog_rss]=$T_RSS FB[backlog_cpu]=$T_CPU FB[backlog_scpu]=$T_SCPU FB[backlog_other]=$T_OTHER
    # Statements and commits MariaDB received meanwhile (Com_commit, Questions; sorted by name)
    read -r 'FB[backlog_commits]' 'FB[backlog_stmts]' < <(echo "$st0 $st1" | awk '{ print $3 - $1, $4 - $2 }')
    if [ "$rc" -ne 0 ]; then
        tail -n 15 "$work/fb.backlog.err" >&2; fail "godwit failback (backlog) exited $rc"; return 0
    fi
    read -r 'FB[backlog_txns]' 'FB[backlog_changes]' < <(applied_changes failback "$work/fb.backlog.err") || true
    FB[backlog_rate]=$(div "${FB[backlog_changes]:-0}" "$T_WALL" '%.0f')
    FB[backlog_eq]=equal
    check_repl fb.backlog || { FB[backlog_eq]=DIFFERENT; fail "failback backlog: tables differ"; }
    log "failback backlog: ${FB[backlog_txns]:-?} transactions, ${FB[backlog_changes]:-?} changes in ${T_WALL}s = ${FB[backlog_rate]} changes/s; ${FB[backlog_eq]}"

    # -- lag under a steady load
    log "failback lag: godwit failback in the background, sysbench --db-driver=pgsql --rate $rate --time $seconds, heartbeat every 100 ms on PostgreSQL"
    rm -f "$work/failback.pid"
    # shellcheck disable=SC2016 # expanded by the inner shell
    /usr/bin/time -o "$work/fb.lag.time" -f '%e %M %U %S' bash -c 'echo $$ >"$0"; exec "$@"' "$work/failback.pid" \
        "${gw_fb[@]}" >"$work/fb.lag.out" 2>"$work/fb.lag.err" &
    local tpid=$!
    BG_PIDS+=("$tpid")
    # The heartbeat: one session, a committed update every 100 ms (cancelled after the load; the
    # deadline only bounds it if the script dies).
    PGAPPNAME=bench_hb PGOPTIONS="$pg_writer_opts" psql -X -q -d "$TG" >"$work/fb.hb.out" 2>&1 <<EOF2 &
DO \$\$
DECLARE e timestamptz := clock_timestamp() + interval '$((seconds + 400)) seconds';
BEGIN
  WHILE clock_timestamp() < e LOOP
    UPDATE $DB.hb SET t = clock_timestamp() AT TIME ZONE 'UTC' WHERE id = 1;
    COMMIT;
    PERFORM pg_sleep(0.1);
  END LOOP;
END
\$\$;
EOF2
    local hbpid=$!
    BG_PIDS+=("$hbpid")
    # Age of the applied heartbeat on MariaDB, by MariaDB's clock.
    local lagq="SELECT TIMESTAMPDIFF(MICROSECOND, t, UTC_TIMESTAMP(6)) / 1e6 FROM hb" until=$((SECONDS + 60)) l
    while :; do
        l=$(my "$DB" -e "$lagq" 2>/dev/null || echo 999)
        awk -v x="$l" 'BEGIN { exit !(x < 1) }' && break
        kill -0 "$tpid" 2>/dev/null || { tail -n 15 "$work/fb.lag.err" >&2; die "godwit failback exited early"; }
        kill -0 "$hbpid" 2>/dev/null || { cat "$work/fb.hb.out" >&2; die "the PostgreSQL heartbeat loop ended early"; }
        [ $SECONDS -lt $until ] || die "failback lag: the heartbeat did not reach MariaDB within 60 s (last lag ${l}s)"
        sleep 0.1
    done
    # The sampler: one MariaDB session reading the heartbeat's age every 100 ms for the load's duration.
    my "$DB" >"$work/fb.lag.samples" 2>"$work/fb.lag.samples.err" <<EOF2 &
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;
SET @end = NOW(6) + INTERVAL $seconds SECOND;
DELIMITER //
BEGIN NOT ATOMIC
  WHILE NOW(6) < @end DO
    $lagq;
    DO SLEEP(0.1);
  END WHILE;
END//
EOF2
    local smpid=$!
    BG_PIDS+=("$smpid")
    sb_pg --threads="$threads" --rate="$rate" --time="$seconds" --events=0 run \
        >"$work/fb.lag.sysbench" 2>&1 || { tail -n 20 "$work/fb.lag.sysbench" >&2; die "sysbench run on PostgreSQL (failback lag) failed"; }
    FB[lag_tps]=$(sed -nE 's/.*transactions: +[0-9]+ +\(([0-9.]+) per sec.*/\1/p' "$work/fb.lag.sysbench" | head -n 1)
    wait "$smpid" || { cat "$work/fb.lag.samples.err" >&2; fail "the MariaDB lag sampler failed"; }
    # Stop the heartbeat loop (a cancel; its committed updates stay), then one last heartbeat,
    # committed after every sysbench transaction: MariaDB must receive it.
    pq "${DB}_g" -c "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = 'bench_hb'" >/dev/null
    wait "$hbpid" 2>/dev/null || true
    grep -q 'canceling statement due to user request' "$work/fb.hb.out" ||
        { cat "$work/fb.hb.out" >&2; fail "the PostgreSQL heartbeat loop did not end as expected"; }
    local last t0d
    last=$(pq "${DB}_g" -c "SET synchronous_commit = on" -c "UPDATE $DB.hb SET t = clock_timestamp() AT TIME ZONE 'UTC' WHERE id = 1
        RETURNING to_char(t, 'YYYY-MM-DD HH24:MI:SS.US')")
    t0d=$(now); until=$((SECONDS + 300))
    while [ "$(my "$DB" -e "SELECT DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f') FROM hb")" != "$last" ]; do
        [ $SECONDS -lt $until ] || { fail "failback lag: the last heartbeat did not arrive within 300 s"; break; }
        kill -0 "$tpid" 2>/dev/null || { fail "godwit failback exited during the lag run"; break; }
        sleep 0.05
    done
    FB[drain_s]=$(secs "$t0d" "$(now)")
    kill -TERM "$(cat "$work/failback.pid")" 2>/dev/null || true
    rc=0; wait "$tpid" || rc=$?
    FB[lag_exit]=$rc
    BG_PIDS=(); rm -f "$work/failback.pid"   # all waited for: nothing left to kill
    [ "$rc" -eq 0 ] || { tail -n 10 "$work/fb.lag.err" >&2; fail "godwit failback exited $rc after SIGTERM"; }
    read -r _ 'FB[lag_rss_kb]' _ _ < <(tail -n 1 "$work/fb.lag.time") || true
    FB[lag_rss]=$(awk -v k="${FB[lag_rss_kb]:-0}" 'BEGIN { printf "%.0f", k / 1024 }')
    read -r 'FB[lag_txns]' 'FB[lag_changes]' < <(applied_changes failback "$work/fb.lag.err") || true
    read -r 'FB[lag_med]' 'FB[lag_p99]' 'FB[lag_max]' 'FB[lag_n]' < <(lag_stats "$work/fb.lag.samples")
    FB[lag_eq]=equal
    check_repl fb.lag || { FB[lag_eq]=DIFFERENT; fail "failback (lag run): tables differ"; }
    log "failback lag: median ${FB[lag_med]}s, p99 ${FB[lag_p99]}s, max ${FB[lag_max]}s over ${FB[lag_n]} samples at ${FB[lag_tps]:-?} tps; drained in ${FB[drain_s]}s; ${FB[lag_eq]}"
}
case $skip in *" failback "*) ;; *) run_failback ;; esac

# ---------------------------------------------------------------- report
med() { if [ -n "${R_WALL[$1]+x}" ]; then median "${R_WALL[$1]//FAILED/}"; fi; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then div "$1" "$2"; else echo "n/a"; fi; }
verdict() {   # RATIO OP GOAL
    case $1 in n/a) echo "not measured" ;;
        *) awk -v r="$1" -v o="$2" -v g="$3" 'BEGIN { ok = (o == "<=" ? r <= g : o == "<" ? r < g : r >= g); print (ok ? "goal met" : "GOAL MISSED") }' ;;
    esac
}
echo
echo "command:  $cmdline"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/^Mem:/ { print $2 }') GB RAM; both servers and the tools share it"
echo "mariadb:  $my_version; binlog ROW, FULL images, sync_binlog=0, innodb_flush_log_at_trx_commit=2, buffer pool 1G"
echo "postgres: $pg_version; fsync=off, synchronous_commit=off, full_page_writes=off (tests/servers.sh), ${pg_settings[*]}"
echo "tools:    $("$GODWIT" --version 2>&1 | head -n 1) ($GODWIT); $(pgloader --version 2>&1 | head -n 1); $(sysbench --version)"
echo "data:     sysbench $ntables x $table_size rows + alltypes $types_rows rows + hb: ${#tables[@]} tables, $src_rows rows, $src_size MB in MariaDB (data + indexes)"
echo "jobs:     $jobs (godwit --jobs $jobs; pgloader workers=$((2 * jobs)) concurrency=1; raw pipe $jobs tables at a time); rounds: $repeat"
echo
row() { printf '%-17s %7s %9s %7s %8s %8s %6s  %-12s %s\n' "$@"; }
row fetch "wall s" "rows/s" "peak MB" "tool cpu" "srv cpu" other status "what the time contains"
row ----------------- ------- --------- ------- -------- -------- ------ ------------ ----------------------
for n in "${R_ORDER[@]}"; do
    w=$(med "$n"); rps=""
    [ -n "${R_ROWS[$n]:-}" ] && [ -n "$w" ] && rps=$(div "${R_ROWS[$n]}" "$w" '%.0f')
    row "$n" "$w" "$rps" "$(maxof "${R_RSS[$n]:-}")" "$(median "${R_CPU[$n]:-}")" "$(median "${R_SCPU[$n]:-}")" \
        "$(median "${R_OTHER[$n]:-}")" "${R_STATUS[$n]}" "${R_WHAT[$n]}"
done
if [ "$repeat" -gt 1 ] || grep -q '\*' <<<"${R_WALL[*]}"; then
    echo "wall s per round (* = disturbed: other processes used CPU meanwhile, or the machine was not quiet):"
    for n in "${R_ORDER[@]}"; do printf '  %-17s %s\n' "$n" "${R_WALL[$n]}"; done
fi
r1=$(ratio "$(med pgloader)" "$(med godwit)")
r2=$(ratio "$(med godwit)" "$(med 'raw pipe total')")
r3=$(ratio "$(med 'godwit copy')" "$(med 'raw pipe copy')")
echo
echo "pgloader / godwit:                   $r1   (goal >= 2.5: $(verdict "$r1" '>=' 2.5))"
if [ "${R_STATUS[pgloader]:-ok}" != ok ]; then
    echo "  pgloader ${R_STATUS[pgloader]}: its time covers less work than godwit's (the ratio understates godwit's lead)"
    [ -n "$PGL_NOTE" ] && sed 's/^/  /' <<<"$PGL_NOTE"
fi
echo "godwit / raw pipe total:             $r2   (goal <= 1.15: $(verdict "$r2" '<=' 1.15)) schema + data + keys/indexes on both sides"
echo "godwit copy phase / raw pipe copy:   $r3   (goal <= 1.15: $(verdict "$r3" '<=' 1.15)) as bench/fetch.sh"
echo "checks:   row counts of every table equal MariaDB's for every contender marked ok; sysbench tables'"
echo "          (id, k, c, pad) hash equal to MariaDB's; ${EQ_NOTE:-row hashes godwit = raw pipe: not compared}"
echo "          (raw pipe: sysbench tables plain SELECT with mariadb -B escaping, other tables --raw + SQL expressions)"
if [ -n "${RP[backlog_s]:-}" ]; then
    echo
    rrow() { printf '%-26s %s\n' "$@"; }
    rrow replicate result
    rrow -------------------------- ------
    rrow "backlog" "$events sysbench write-only txns ($threads threads) while nothing replicates: ${RP[backlog_txns]:-?} txns, ${RP[backlog_changes]:-?} row changes, ${RP[backlog_binlog_mb]} MB of binlog (loaded in ${RP[backlog_load_s]} s)"
    rrow "  apply" "godwit replicate --stop-when-caught-up: ${RP[backlog_s]} s = ${RP[backlog_rate]} row changes/s; peak RSS ${RP[backlog_rss]} MB; godwit cpu ${RP[backlog_cpu]} s; other ${RP[backlog_other]} s; tables ${RP[backlog_eq]}"
    if [ -n "${RP[types_s]:-}" ]; then
        rrow "all-types changes" "${RP[types_what]} rows of alltypes: ${RP[types_logged]} changes in ${RP[types_s]} s = ${RP[types_rate]} changes/s; peak RSS ${RP[types_rss]} MB; replicated = fetched: ${RP[types_eq]:-?}"
    fi
    if [ -n "${RP[lag_med]:-}" ]; then
        rrow "lag" "sysbench --rate $rate --time $seconds (${RP[lag_tps]:-?} tps achieved): median ${RP[lag_med]} s, p99 ${RP[lag_p99]} s (goal < 1 s: $(verdict "${RP[lag_p99]}" '<' 1)), max ${RP[lag_max]} s, ${RP[lag_n]} samples"
        rrow "  after the load" "last heartbeat applied ${RP[drain_s]} s after it was written; SIGTERM: exit ${RP[lag_exit]}; ${RP[lag_changes]:-?} changes applied; peak RSS ${RP[lag_rss]} MB; tables ${RP[lag_eq]}"
    fi
    echo "equality: sysbench tables' count, sum(k) and hash of (id, k, c, pad) computed by each server; heartbeat row"
fi
if [ -n "${FB[prepare_s]:-}" ]; then
    echo
    frow() { printf '%-26s %-40s %s\n' "$@"; }
    na() { echo "${1:-n/a}"; }
    # forward rate / failback rate = failback time per row change / forward time per row change
    fbr=n/a
    if [ -n "${RP[backlog_changes]:-}" ] && [ -n "${FB[backlog_changes]:-}" ] && [ "${FB[backlog_changes]:-?}" -gt 0 ] && [ "${RP[backlog_changes]}" -gt 0 ]; then
        fbr=$(awk -v fs="${FB[backlog_s]:-?}" -v fc="${FB[backlog_changes]:-?}" -v rs="${RP[backlog_s]}" -v rc="${RP[backlog_changes]}" \
            'BEGIN { if (rs > 0) printf "%.2f", (fs / fc) / (rs / rc); else print "n/a" }')
    fi
    echo "failback (PostgreSQL -> MariaDB; first run, which drained forward replication and created the slot: ${FB[prepare_s]:-?} s)"
    frow "" "forward: MariaDB -> PostgreSQL" "failback: PostgreSQL -> MariaDB"
    frow -------------------------- ---------------------------------------- ----------------------------------------
    [ -n "${FB[backlog_s]:-}" ] && {
    frow "backlog load" "$events txns, $threads threads: $(na "${RP[backlog_load_s]:-}") s" "$events txns, $threads threads: ${FB[backlog_load_s]:-?} s (${FB[backlog_ignored]:-?} ignored errors)"
    frow "  row changes applied" "$(na "${RP[backlog_changes]:-}") in $(na "${RP[backlog_s]:-}") s" "${FB[backlog_changes]:-?} in ${FB[backlog_s]:-?} s"
    frow "  row changes/s" "$(na "${RP[backlog_rate]:-}")" "${FB[backlog_rate]:-?}"
    frow "  peak RSS MB" "$(na "${RP[backlog_rss]:-}")" "${FB[backlog_rss]:-?}"
    frow "  cpu s: godwit, servers" "$(na "${RP[backlog_cpu]:-}"), $(na "${RP[backlog_scpu]:-}")" "${FB[backlog_cpu]:-?}, ${FB[backlog_scpu]:-?}"
    frow "  MariaDB statements" "" "${FB[backlog_stmts]:-?} statements, ${FB[backlog_commits]:-?} commits (its status counters)"
    frow "  tables after" "$(na "${RP[backlog_eq]:-}")" "${FB[backlog_eq]:-?}"
    }
    [ -n "${FB[lag_med]:-}" ] && {
    frow "lag at --rate $rate, ${seconds} s" "$(na "${RP[lag_tps]:-}") tps achieved" "${FB[lag_tps]:-?} tps achieved"
    frow "  median / p99 / max s" "$(na "${RP[lag_med]:-}") / $(na "${RP[lag_p99]:-}") / $(na "${RP[lag_max]:-}") (${RP[lag_n]:-0} samples)" "${FB[lag_med]:-?} / ${FB[lag_p99]:-?} / ${FB[lag_max]:-?} (${FB[lag_n]:-?} samples)"
    frow "  last heartbeat applied" "$(na "${RP[drain_s]:-}") s after it was written" "${FB[drain_s]:-?} s after it was written"
    frow "  exit on SIGTERM, RSS MB" "$(na "${RP[lag_exit]:-}"), $(na "${RP[lag_rss]:-}")" "${FB[lag_exit]:-?}, ${FB[lag_rss]:-?}"
    frow "  tables after" "$(na "${RP[lag_eq]:-}")" "${FB[lag_eq]:-?}"
    }
    echo
    echo "forward rate / failback rate:        $fbr   (goal <= 1.2, failback within 20% of forward: $(verdict "$fbr" '<=' 1.2)) = failback time / forward time per row change"
    [ -n "${FB[lag_p99]:-}" ] && echo "failback lag p99:                    ${FB[lag_p99]:-?} s   (goal < 1 s as forward: $(verdict "${FB[lag_p99]:-?}" '<' 1))"
    echo "failback: sysbench oltp_write_only --db-driver=pgsql on ${DB}_g (search_path $DB); heartbeat written on PostgreSQL"
    echo "          (clock_timestamp() at UTC every 100 ms), its age read on MariaDB (UTC_TIMESTAMP(6) - t) every 100 ms"
fi
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) FAILED: see the log above" >&2
    exit 1
fi
