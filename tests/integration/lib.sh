# tests/integration/lib.sh: helpers for integration tests.  Sourced by each tests/integration/test_*.sh,
# which run/run.sh starts as a child process with these variables exported:
#   GODWIT            absolute path of the binary under test
#   SRC_URL, SRC_PORT the shared source server (postgres://postgres@127.0.0.1:PORT/postgres)
#   TGT_URL, TGT_PORT the shared target server
#   GW_TMP            the servers' temp dir (a test may start more servers there: pg_server_start)
#   GW_TEST_NAME      the test's name; GW_OUT: a directory for this test's captured output
#
# Assertions are soft: a failed one prints "FAIL: reason" on stderr, is counted, and returns 1, so a
# test reports every broken expectation at once.  A test stops early with abort_test (or
# "assert_... || abort_test") when what follows cannot make sense.  Every test ends with `finish`.
#
# Every psql helper uses the same session settings (UTC, ISO dates, hex bytea, shortest exact floats),
# so that the text of rows read from the two servers is comparable even though the servers are
# configured differently on purpose (see run.sh).  These settings are never exported to godwit.

set -u
GW_ROOT=${GW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# Installed before sourcing servers.sh, which chains it into its own EXIT handler.
trap _gw_test_cleanup EXIT
# shellcheck source=../servers.sh
. "$GW_ROOT/tests/servers.sh"

GW_TEST_NAME=${GW_TEST_NAME:-$(basename "$0" .sh)}
GW_OUT=${GW_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/godwit-out.XXXXXX")}
mkdir -p "$GW_OUT"
GW_CMD_TIMEOUT=${GW_CMD_TIMEOUT:-240}
GW_PSQL_OPTIONS="-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex -c client_min_messages=warning -c lc_monetary=C"
GW_FAILS=0
GW_CMDNO=0
GW_DBS=()        # databases made by new_dbs, dropped at exit
GW_BG_PIDS=()    # background processes started by bg_start, killed at exit
OUT=/dev/null
ERR=/dev/null
RC=0

# ---------------------------------------------------------------- reporting

note() { echo "# $*" >&2; }

# GW_CONTEXT, when set, prefixes failure messages (the case being checked).
GW_CONTEXT=""
fail() {
    GW_FAILS=$((GW_FAILS + 1))
    echo "FAIL: ${GW_CONTEXT:+[$GW_CONTEXT] }$*" >&2
    return 1
}

abort_test() {
    fail "${*:-aborted}"
    echo "# aborting $GW_TEST_NAME after $GW_FAILS failure(s)" >&2
    exit 1
}

finish() {
    if [ "$GW_FAILS" -gt 0 ]; then
        echo "# $GW_TEST_NAME: $GW_FAILS failure(s)" >&2
        exit 1
    fi
    echo "# $GW_TEST_NAME: all assertions passed" >&2
    exit 0
}

# ---------------------------------------------------------------- SQL

_gw_psql() {
    local url=$1; shift
    if [ $# -eq 0 ] || [ "$1" = - ]; then
        PGOPTIONS="$GW_PSQL_OPTIONS" psql -X -A -t -v ON_ERROR_STOP=1 -q -d "$url" -f -
    else
        PGOPTIONS="$GW_PSQL_OPTIONS" psql -X -A -t -v ON_ERROR_STOP=1 -q -d "$url" -f - <<<"$1"
    fi
}

# psql_src DB SQL | psql_src DB - <<'SQL' ... : runs SQL on the source database DB; unaligned,
# tuples only.  Returns psql's exit code.
# The servers that "source" and "target" mean: the shared ones, unless a test started its own
# (pg_server_start NAME) and set these (e.g. to restart or stop them without disturbing other tests).
GW_SRC_SERVER=${GW_SRC_SERVER:-src}
GW_TGT_SERVER=${GW_TGT_SERVER:-tgt}
psql_src() { _gw_psql "$(pg_url "$GW_SRC_SERVER" "$1")" "${@:2}"; }
psql_tgt() { _gw_psql "$(pg_url "$GW_TGT_SERVER" "$1")" "${@:2}"; }
# psql_on SERVER DB SQL: the same on any server started by pg_server_start.
psql_on() { _gw_psql "$(pg_url "$1" "$2")" "${@:3}"; }

# setup_src DB SQL: like psql_src, but a failure aborts the test (the harness, not godwit, broke).
setup_src() { psql_src "$@" >/dev/null || abort_test "setup SQL failed on source db $1"; }
setup_tgt() { psql_tgt "$@" >/dev/null || abort_test "setup SQL failed on target db $1"; }

# new_dbs NAME: creates database NAME on the source and on the target (dropping leftovers), echoes it.
new_dbs() {
    local db=$1 s
    if ! [[ $db =~ ^[a-z_][a-z0-9_]*$ ]]; then echo "new_dbs: bad name '$db'" >&2; return 2; fi
    for s in "$GW_SRC_SERVER" "$GW_TGT_SERVER"; do
        local port; port=$(pg_port "$s") || return 1
        dropdb -h 127.0.0.1 -p "$port" -U postgres --if-exists --force "$db" >/dev/null 2>&1
        createdb -h 127.0.0.1 -p "$port" -U postgres "$db" || { echo "new_dbs: createdb $db on $s failed" >&2; return 1; }
    done
    echo "$db"
}

# register_dbs NAME...: databases to drop when the test exits (new_dbs runs in a subshell).
register_dbs() { GW_DBS+=("$@"); }

# ---------------------------------------------------------------- godwit

# src_url DB / tgt_url DB: URLs of database DB on the source and target servers (GW_SRC_SERVER, GW_TGT_SERVER).
src_url() { pg_url "$GW_SRC_SERVER" "$1"; }
tgt_url() { pg_url "$GW_TGT_SERVER" "$1"; }

# gw_fetch CODE SRCDB TGTDB ARGS...: godwit fetch between the shared servers, asserting the exit code.
gw_fetch() {
    local code=$1 s=$2 t=$3; shift 3
    assert_exit "$code" "$GODWIT" fetch --source "$(src_url "$s")" --target "$(tgt_url "$t")" "$@"
}

# assert_exit CODE CMD ARGS...: runs CMD (with a timeout), its stdout and stderr going to files named
# by $OUT and $ERR (kept in $GW_OUT for later asserts); $RC is its exit code.  Fails unless RC = CODE
# (CODE "any": never fails; the caller inspects $RC).
assert_exit() {
    local want=$1; shift
    GW_CMDNO=$((GW_CMDNO + 1))
    OUT="$GW_OUT/cmd$GW_CMDNO.out"
    ERR="$GW_OUT/cmd$GW_CMDNO.err"
    local t0=$SECONDS
    timeout -k 10 "$GW_CMD_TIMEOUT" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    note "\$ $(_gw_show_cmd "$@")"
    note "  -> exit $RC in $((SECONDS - t0))s (stdout $(wc -c <"$OUT") bytes: $OUT, stderr: $ERR)"
    if [ "$want" != any ] && [ "$RC" != "$want" ]; then
        local why="exit $RC"
        [ "$RC" = 124 ] && why="timed out after ${GW_CMD_TIMEOUT}s"
        [ "$RC" -gt 128 ] && [ "$RC" != 124 ] && why="exit $RC (signal $((RC - 128)))"
        _gw_dump "$ERR" stderr
        fail "expected exit $want, got $why: $(_gw_show_cmd "$@") -- stderr: $(_gw_first_lines "$ERR")"
        return 1
    fi
    return 0
}

_gw_show_cmd() {
    local a out=""
    for a in "$@"; do
        a=${a/#$GODWIT/godwit}
        if [[ $a =~ ^[A-Za-z0-9_./:@=,*+%-]+$ ]]; then out+=" $a"; else out+=" $(printf '%q' "$a")"; fi
    done
    printf '%s' "${out# }"
}

_gw_first_lines() { head -c 400 "$1" | tr '\n' ' ' | sed 's/ *$//'; }

_gw_dump() {
    [ -s "$1" ] || return 0
    echo "# ---- $2 ($1), last 40 lines:" >&2
    tail -n 40 "$1" | sed 's/^/#   /' >&2
}

# bg_start VAR CMD ARGS...: starts CMD in the background (stdout/stderr to files), stores its pid in VAR.
bg_start() {
    local var=$1; shift
    GW_CMDNO=$((GW_CMDNO + 1))
    OUT="$GW_OUT/cmd$GW_CMDNO.out"
    ERR="$GW_OUT/cmd$GW_CMDNO.err"
    # The files exist when bg_start returns: the background child opens its redirections only once
    # it is scheduled, and a grep of $ERR right away (counting lines before an event) would find no
    # file, print nothing, and make the count an empty string.
    : >"$OUT"
    : >"$ERR"
    "$@" >"$OUT" 2>"$ERR" </dev/null &
    local pid=$!
    GW_BG_PIDS+=("$pid")
    printf -v "$var" '%s' "$pid"
    note "\$ $(_gw_show_cmd "$@") &   # pid $pid"
}

# ---------------------------------------------------------------- assertions

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    if [ "$1" != "$2" ]; then
        fail "${3:-value}: expected '$1', got '$2'"
        return 1
    fi
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
    if [ "$1" = "$2" ]; then
        fail "${3:-value}: did not expect '$1'"
        return 1
    fi
}

# assert_ge MIN ACTUAL [WHAT]: integer ACTUAL >= MIN.
assert_ge() {
    if ! [[ $2 =~ ^-?[0-9]+$ ]] || [ "$2" -lt "$1" ]; then
        fail "${3:-value}: expected >= $1, got '$2'"
        return 1
    fi
}

# assert_contains FILE TEXT: FILE contains TEXT (fixed string, case-insensitive).
assert_contains() {
    if ! grep -qiF -- "$2" "$1"; then
        fail "$(basename "$1") does not contain '$2' -- it has: $(_gw_first_lines "$1")"
        return 1
    fi
}

# assert_contains_re FILE ERE: FILE matches the extended regex (case-insensitive).
assert_contains_re() {
    if ! grep -qiE -- "$2" "$1"; then
        fail "$(basename "$1") does not match /$2/ -- it has: $(_gw_first_lines "$1")"
        return 1
    fi
}

# assert_not_contains FILE TEXT: FILE does not contain TEXT (fixed string, case-insensitive).
assert_not_contains() {
    if grep -qiF -- "$2" "$1"; then
        fail "$(basename "$1") contains '$2': $(grep -iF -m1 -- "$2" "$1" | head -c 300)"
        return 1
    fi
}

# assert_short_message FILE [MAXLINES]: a "clear message": FILE is not empty, and not a flood (at most 5 lines).
assert_short_message() {
    local n; n=$(grep -c . "$1")
    if [ "$n" -lt 1 ] || [ "$n" -gt "${2:-5}" ]; then
        fail "$(basename "$1"): expected a short error message (1..${2:-5} lines), got $n lines: $(_gw_first_lines "$1")"
        return 1
    fi
}

# assert_json FILE: FILE is one JSON document.
assert_json() {
    if ! python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>"$GW_OUT/json.err"; then
        fail "$(basename "$1") is not valid JSON ($(tail -n1 "$GW_OUT/json.err")): $(_gw_first_lines "$1")"
        return 1
    fi
}

# assert_json_lines FILE: every non-empty line of FILE is a JSON object with a time and a level.
assert_json_lines() {
    if ! python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    if line.strip():
        try:
            v = json.loads(line)
        except Exception as e:
            sys.exit("line %d: %s: %r" % (n, e, line[:200]))
        if not isinstance(v, dict):
            sys.exit("line %d is not an object: %r" % (n, line[:200]))
        # Every record says when and how serious, progress records too.
        if "time" not in v or "level" not in v:
            sys.exit("line %d has no time or level: %r" % (n, line[:200]))
' <"$1" 2>"$GW_OUT/json.err"; then
        fail "$(basename "$1") is not JSON lines: $(tail -n1 "$GW_OUT/json.err")"
        return 1
    fi
}

# table_digest SIDE DB TABLE ORDERCOLS [WHERE]: "md5 count" of the rows' text in ORDERCOLS order.
table_digest() {
    local side=$1 db=$2 tbl=$3 ord=$4 where=${5:-}
    [ -n "$where" ] && where="WHERE $where"
    "psql_$side" "$db" "SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY $ord)), 'none') || ' ' || count(*) FROM $tbl t $where"
}

# table_columns SIDE DB TABLE: one line per column: name, type, not null, identity, generated, collation.
table_columns() {
    local side=$1 db=$2 tbl=$3
    "psql_$side" "$db" "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod)
            || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END
            || CASE attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END
            || CASE WHEN attgenerated <> '' THEN ' GENERATED' ELSE '' END
            || coalesce(' COLLATE ' || (SELECT quote_ident(collname) FROM pg_collation WHERE oid = attcollation), ''), E'\\n' ORDER BY attnum)
        FROM pg_attribute WHERE attrelid = '$(_gw_sqlstr "$tbl")'::regclass AND attnum > 0 AND NOT attisdropped"
}

_gw_sqlstr() { printf '%s' "${1//\'/\'\'}"; }

# assert_columns_equal SRCDB TGTDB TABLE: same column names, types, NOT NULL, identity and collation.
assert_columns_equal() {
    local s t
    s=$(table_columns src "$1" "$3" 2>&1) || { fail "columns of $3 on source: $s"; return 1; }
    t=$(table_columns tgt "$2" "$3" 2>&1) || { fail "columns of $3 on target: $t"; return 1; }
    if [ "$s" != "$t" ]; then
        fail "columns of $3 differ: source [$(tr '\n' ';' <<<"$s")] target [$(tr '\n' ';' <<<"$t")]"
        return 1
    fi
}

# assert_tables_equal SRCDB TGTDB SCHEMA.TABLE ORDERCOLS [SOURCE_WHERE]
# The md5 of the ordered rows' text and the row count, computed independently on each side, must be
# equal; so must the column definitions.  SOURCE_WHERE restricts the source rows (for --where).
# TABLE is SQL (quote identifiers as needed); ORDERCOLS is an ORDER BY list over alias t.
assert_tables_equal() {
    local sdb=$1 tdb=$2 tbl=$3 ord=$4 where=${5:-} s t
    s=$(table_digest src "$sdb" "$tbl" "$ord" "$where" 2>&1) || { fail "digest of $tbl on source: $s"; return 1; }
    t=$(table_digest tgt "$tdb" "$tbl" "$ord" 2>&1) || { fail "digest of $tbl on target failed: $t"; return 1; }
    if [ "$s" != "$t" ]; then
        fail "table $tbl differs: source md5/count '$s' ${where:+(WHERE $where) }target '$t'"
        _gw_first_diff "$sdb" "$tdb" "$tbl" "$ord" "$where"
        return 1
    fi
    note "table $tbl equal ($s)"
    assert_columns_equal "$sdb" "$tdb" "$tbl"
}

# Prints (as comments) the first rows that differ, to help whoever debugs a failure.
_gw_first_diff() {
    local sdb=$1 tdb=$2 tbl=$3 ord=$4 where=${5:-}
    [ -n "$where" ] && where="WHERE $where"
    psql_src "$sdb" "SELECT t::text FROM $tbl t $where ORDER BY $ord" >"$GW_OUT/diff.src" 2>&1
    psql_tgt "$tdb" "SELECT t::text FROM $tbl t ORDER BY $ord" >"$GW_OUT/diff.tgt" 2>&1
    echo "# first differences of $tbl (< source, > target):" >&2
    diff "$GW_OUT/diff.src" "$GW_OUT/diff.tgt" | head -n 12 | cut -c1-300 | sed 's/^/#   /' >&2
}

# user_tables SIDE DB: number of tables outside the system schemas and _godwit.
user_tables() {
    "psql_$1" "$2" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema','_godwit')
          AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
}

# assert_no_user_tables TGTDB: nothing was created on the target.
assert_no_user_tables() {
    local n; n=$(user_tables tgt "$1" 2>&1)
    if [ "$n" != 0 ]; then
        fail "target db $1 has $n user table(s) after a failed fetch: $(psql_tgt "$1" "SELECT string_agg(schemaname||'.'||tablename, ', ') FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema','_godwit')" 2>&1)"
        return 1
    fi
}

# slots_of SERVER DB: names of replication slots of database DB on SERVER (comma separated).
slots_of() {
    psql_on "$1" postgres "SELECT coalesce(string_agg(slot_name || ':' || plugin, ',' ORDER BY slot_name), '') FROM pg_replication_slots WHERE database = '$(_gw_sqlstr "$2")'"
}

# assert_no_slot SRCDB [SERVER]: no replication slot and no publication were left in the source db.
assert_no_slot() {
    local db=$1 srv=${2:-$GW_SRC_SERVER} s p
    s=$(slots_of "$srv" "$db" 2>&1)
    p=$(psql_on "$srv" "$db" "SELECT coalesce(string_agg(pubname, ','), '') FROM pg_publication" 2>&1)
    if [ -n "$s" ] || [ -n "$p" ]; then
        fail "source db $db has replication slot(s) [$s] / publication(s) [$p] that should not exist"
        return 1
    fi
}

# reset_stream SRCDB [SERVER]: drops the replication slots of SRCDB (terminating their walsenders) and
# every publication in it, so that a following fetch of the same source database starts clean.
reset_stream() {
    local db=$1 srv=${2:-$GW_SRC_SERVER}
    psql_on "$srv" postgres "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
            WHERE database = '$(_gw_sqlstr "$db")' AND active_pid IS NOT NULL" >/dev/null 2>&1
    wait_for 20 _gw_no_active_slot "$srv" "$db" || note "slots of $db still active"
    psql_on "$srv" postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE database = '$(_gw_sqlstr "$db")'" >/dev/null 2>&1
    psql_on "$srv" "$db" "DO \$\$DECLARE p text; BEGIN FOR p IN SELECT pubname FROM pg_publication LOOP
            EXECUTE format('DROP PUBLICATION %I', p); END LOOP; END\$\$" >/dev/null 2>&1
}

_gw_no_active_slot() {
    [ "$(psql_on "$1" postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$(_gw_sqlstr "$2")' AND active_pid IS NOT NULL" 2>/dev/null)" = 0 ]
}

# wait_for TIMEOUT_SECONDS CMD ARGS...: polls CMD until it succeeds; 1 after the timeout.
wait_for() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    while ! "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
        sleep 0.05   # polling interval, not a wait for a condition
    done
}

# free_port: a loopback port nothing listens on.
free_port() {
    local p
    while :; do
        p=$(_gw_random_port)
        _gw_port_busy "$p" || { echo "$p"; return 0; }
    done
}

# ---------------------------------------------------------------- replicate

# gw_replicate CODE SRCDB TGTDB ARGS...: godwit replicate between the source and target servers,
# asserting the exit code (like gw_fetch).
gw_replicate() {
    local code=$1 s=$2 t=$3; shift 3
    assert_exit "$code" "$GODWIT" replicate --source "$(src_url "$s")" --target "$(tgt_url "$t")" "$@"
}

# bg_replicate VAR SRCDB TGTDB ARGS...: godwit replicate in the background; its pid in VAR, the files
# with its stdout and stderr in ${VAR}_OUT and ${VAR}_ERR.
bg_replicate() {
    local var=$1 s=$2 t=$3; shift 3
    bg_start "$var" "$GODWIT" replicate --source "$(src_url "$s")" --target "$(tgt_url "$t")" "$@"
    printf -v "${var}_OUT" '%s' "$OUT"
    printf -v "${var}_ERR" '%s' "$ERR"
}

# bg_pgbench VAR DB ARGS...: pgbench against source database DB in the background (pid in VAR, its
# output in ${VAR}_ERR and ${VAR}_OUT).
bg_pgbench() {
    local var=$1 db=$2; shift 2
    bg_start "$var" pgbench -h 127.0.0.1 -p "$(pg_port "$GW_SRC_SERVER")" -U postgres "$@" "$db"
    printf -v "${var}_OUT" '%s' "$OUT"
    printf -v "${var}_ERR" '%s' "$ERR"
}

# pgbench_src DB ARGS...: pgbench against source database DB in the foreground; returns its status.
pgbench_src() {
    local db=$1; shift
    bg_pgbench _GW_PGBENCH_PID "$db" "$@"
    wait "$_GW_PGBENCH_PID"
    local rc=$?
    note "  -> pgbench exit $rc: $(grep -ahE '^(number of transactions actually processed|number of failed|tps)' "$OUT" "$ERR" | tr '\n' ' ')"
    [ "$rc" = 0 ] || _gw_dump "$ERR" "pgbench stderr"
    return $rc
}

# is_running PID: the background process PID has not exited.
is_running() { kill -0 "$1" 2>/dev/null; }
_gw_gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_exit PID TIMEOUT: waits for background process PID to exit by itself; its status in RC.
# Fails (and kills it) when it is still running after TIMEOUT seconds.
wait_exit() {
    local pid=$1 timeout=$2
    if ! wait_for "$timeout" _gw_gone "$pid"; then
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        RC=timeout
        fail "process $pid still running after ${timeout}s"
        return 1
    fi
    wait "$pid"; RC=$?
    return 0
}

# stop_bg PID [TIMEOUT] [SIGNAL]: sends SIGNAL (default TERM) to background process PID and waits up
# to TIMEOUT seconds (default 30) for it to exit; its status in RC.
stop_bg() {
    local pid=$1 timeout=${2:-30} sig=${3:-TERM}
    kill -"$sig" "$pid" 2>/dev/null
    wait_exit "$pid" "$timeout"
}

# rand_sleep MIN_MS MAX_MS: sleeps a random time in [MIN_MS, MAX_MS] (a random moment, not a wait
# for a condition).
rand_sleep() {
    local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# assert_equal_sides WHAT: the test's my_digest (MariaDB) and pg_digest (PostgreSQL), each computed by its
# own server, are equal.
assert_equal_sides() {
    local m p
    m=$(my_digest 2>&1) || { fail "digest on MariaDB: $m"; return 1; }
    p=$(pg_digest 2>&1) || { fail "digest on PostgreSQL: $p"; return 1; }
    if [ "$m" != "$p" ]; then
        fail "$1: MariaDB and PostgreSQL differ: [$(tr '\n' ';' <<<"$m")] vs [$(tr '\n' ';' <<<"$p")]"
        return 1
    fi
    note "$1: equal ($(tr '\n' ';' <<<"$m"))"
}

# spec_digest_m QUERYFN SPECS / spec_digest_p DB SCHEMA SPECS: "table md5 count" for each "table:col,col"
# of SPECS (space separated), each server computing its own (NULL as ~, rows ordered by the columns,
# which must order alike on both: start with a key of numbers). QUERYFN runs one MariaDB query, given as its only argument, printing the value.
spec_digest_m() {
    local fn=$1 specs=$2 spec t cols
    for spec in $specs; do
        t=${spec%%:*}; cols=${spec#*:}
        "$fn" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT('$t ', IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|',
            $(sed "s/\([a-z_]*\)/IFNULL(\1, '~')/g" <<<"$cols")) ORDER BY $cols SEPARATOR '\n')), 'none'), ' ', COUNT(*))
            FROM $t" || return 1
    done
}
spec_digest_p() {
    local db=$1 schema=$2 specs=$3 spec t cols
    for spec in $specs; do
        t=${spec%%:*}; cols=${spec#*:}
        psql_tgt "$db" "SELECT '$t ' || coalesce(md5(string_agg(concat_ws('|', $(sed "s/\([a-z_]*\)/coalesce(\1::text, '~')/g" <<<"$cols")),
            E'\n' ORDER BY $cols)), 'none') || ' ' || count(*) FROM $schema.$t" || return 1
    done
}

# tables_in_sync SRCDB TGTDB TABLE ORDERCOLS [SOURCE_WHERE]: quiet; true when the digests are equal
# (for polling with wait_for while a replicator runs).
tables_in_sync() {
    local s t
    s=$(table_digest src "$1" "$3" "$4" "${5:-}" 2>/dev/null) || return 1
    t=$(table_digest tgt "$2" "$3" "$4" 2>/dev/null) || return 1
    [ "$s" = "$t" ]
}

# The pgbench tables and an ORDER BY list for each (pgbench_history has no key: all its columns).
PGBENCH_TABLES=(public.pgbench_accounts public.pgbench_branches public.pgbench_tellers public.pgbench_history)
PGBENCH_ORDER=(aid bid tid "tid, bid, aid, delta, mtime, filler")

# assert_pgbench_equal SRCDB TGTDB: every pgbench table equal on both sides.
assert_pgbench_equal() {
    local i
    for i in "${!PGBENCH_TABLES[@]}"; do
        assert_tables_equal "$1" "$2" "${PGBENCH_TABLES[$i]}" "${PGBENCH_ORDER[$i]}"
    done
}

# pgbench_in_sync SRCDB TGTDB: quiet; every pgbench table equal (for wait_for).
pgbench_in_sync() {
    local i
    for i in "${!PGBENCH_TABLES[@]}"; do
        tables_in_sync "$1" "$2" "${PGBENCH_TABLES[$i]}" "${PGBENCH_ORDER[$i]}" || return 1
    done
}

# synced_or_gone PID CMD ARGS...: true when CMD succeeds, or when background process PID has exited
# (to poll for a replicator's progress without waiting in vain for a dead one).
synced_or_gone() {
    local pid=$1; shift
    _gw_gone "$pid" && return 0
    "$@"
}

# Names godwit derives from a migration and a phase (src/core/phase_names.h), computed from the migration
# id the target records, so that no test hard-codes one.
# migration_id TGTDB [SERVER]: the id in the target database's _godwit.migration (empty if none).
migration_id() {
    psql_on "${2:-$GW_TGT_SERVER}" "$1" "SELECT id FROM _godwit.migration" 2>/dev/null
}
# slot_name TGTDB PHASE [failback]: the phase's slot (forward: on the source; failback: on the target).
slot_name() {
    printf 'godwit_%s_%s%s' "$(migration_id "$1")" "$2" "${3:+_failback}"
}
# stream_name TGTDB PHASE [failback]: the phase's checkpoint stream name ("<id>:<phase>:forward").
stream_name() {
    printf '%s:%s:%s' "$(migration_id "$1")" "$2" "${3:+failback}"
    [ -n "${3:-}" ] || printf 'forward'
}
# fence_name TGTDB PHASE: the base name of the phase's fence triggers.
fence_name() {
    printf 'godwit_fence_%s_%s' "$(migration_id "$1")" "$2"
}
# app_name TGTDB COMMAND PHASE: the application name of a command's sessions for the phase.
app_name() {
    printf 'godwit %s:%s:%s' "$2" "$(migration_id "$1")" "$3"
}

# checkpoint_of TGTDB [STREAM]: the position in _godwit.checkpoints of STREAM (default: phase default's
# forward stream).
checkpoint_of() {
    local stream=${2:-$(stream_name "$1" default)}
    psql_tgt "$1" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(_gw_sqlstr "$stream")'"
}

# slot_lsn SLOT [SERVER]: the confirmed_flush_lsn of a replication slot on the source server.
slot_lsn() {
    psql_on "${2:-$GW_SRC_SERVER}" postgres "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$(_gw_sqlstr "$1")'"
}

# lsn_cmp A OP B: compares two LSNs (OP: < <= = >= >), on the source server.
lsn_cmp() {
    [[ $1 =~ ^[0-9A-Fa-f]+/[0-9A-Fa-f]+$ && $3 =~ ^[0-9A-Fa-f]+/[0-9A-Fa-f]+$ ]] || return 1
    [ "$(psql_on "$GW_SRC_SERVER" postgres "SELECT '$1'::pg_lsn $2 '$3'::pg_lsn")" = t ]
}

# ---------------------------------------------------------------- MySQL/MariaDB sources
# run.sh starts one shared MariaDB server, msrc ($MSRC_PORT, $MSRC_SOCK), when a test named *mysql* runs.
# Each test makes its own MariaDB databases (new_mdb) and drops them at exit.

GW_MSRC_SERVER=${GW_MSRC_SERVER:-msrc}
GW_MDBS=()       # MariaDB databases made by new_mdb (on GW_MSRC_SERVER), dropped at exit

# msql DB SQL | msql DB - <<'SQL': runs SQL on MariaDB database DB ("" for none) as root over the socket;
# batch mode, no column names, utf8mb4.  Returns the client's exit code.
msql() {
    local db=$1; shift
    local dbarg=()
    [ -n "$db" ] && dbarg=("$db")
    if [ $# -eq 0 ] || [ "$1" = - ]; then
        mariadb_sql "$GW_MSRC_SERVER" "${dbarg[@]}" --default-character-set=utf8mb4
    else
        mariadb_sql "$GW_MSRC_SERVER" "${dbarg[@]}" --default-character-set=utf8mb4 -e "$1"
    fi
}

# setup_m DB SQL: like msql, but a failure aborts the test.
setup_m() { msql "$@" >/dev/null || abort_test "setup SQL failed on MariaDB db $1"; }

# new_mdb NAME [TGTDB]: (re)creates MariaDB database NAME (utf8mb4) and PostgreSQL target database TGTDB
# (default NAME, lower-case letters, digits and _), both dropped at exit.  Echoes NAME.
new_mdb() {
    local db=$1 tdb=${2:-$1}
    if ! [[ $tdb =~ ^[a-z_][a-z0-9_]*$ ]]; then echo "new_mdb: bad target name '$tdb'" >&2; return 2; fi
    local q=${db//\`/\`\`}
    msql "" "DROP DATABASE IF EXISTS \`$q\`; CREATE DATABASE \`$q\` CHARACTER SET utf8mb4" || return 1
    dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$tdb" >/dev/null 2>&1
    createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$tdb" || return 1
    echo "$db"
}

# register_mdbs NAME...: MariaDB databases to drop at exit (new_mdb runs in a subshell); their target
# databases of the same name are dropped too (register_dbs for other names).
register_mdbs() { GW_MDBS+=("$@"); }

# m_url DB [USER[:PASSWORD]]: mysql:// URL of database DB (percent-encoded) on the MariaDB source.
m_url() {
    local port; port=$(pg_port "$GW_MSRC_SERVER") || return 2
    printf 'mysql://%s@127.0.0.1:%s/%s\n' "${2:-root}" "$port" "$(_gw_urlenc "$1")"
}

# gw_mfetch CODE MDB TGTDB ARGS...: godwit fetch from MariaDB database MDB into target database TGTDB.
gw_mfetch() {
    local code=$1 s=$2 t=$3; shift 3
    assert_exit "$code" "$GODWIT" fetch --source "$(m_url "$s")" --target "$(tgt_url "$t")" "$@"
}

# assert_rows_equal WHAT MFILE PFILE [MODES]: the rows in MFILE (from msql) and PFILE (from psql_tgt) are
# equal line by line, each tab-separated field compared by its mode in MODES (comma-separated, one per
# field, default s): s text, n exact decimal, f float (same IEEE double, sign of zero included), j JSON
# (same structure).  Both sides write NULL as the text <null> (SQL on each side, written independently).
assert_rows_equal() {
    local what=$1 mfile=$2 pfile=$3 modes=${4:-}
    local out
    if ! out=$(python3 - "$mfile" "$pfile" "$modes" <<'PY' 2>&1
import decimal, json, struct, sys
mf, pf, modes = sys.argv[1], sys.argv[2], sys.argv[3].split(",") if sys.argv[3] else []
m = open(mf, encoding="utf-8", errors="surrogateescape").read().splitlines()
p = open(pf, encoding="utf-8", errors="surrogateescape").read().splitlines()
def same(mode, a, b):
    if a == b:
        return True
    if a == "<null>" or b == "<null>":
        return False
    try:
        if mode == "n":
            return decimal.Decimal(a) == decimal.Decimal(b)
        if mode == "f":
            return struct.pack(">d", float(a)) == struct.pack(">d", float(b))
        if mode == "j":
            return json.loads(a) == json.loads(b)
    except Exception as e:
        return False
    return False
if len(m) != len(p):
    sys.exit("%d rows on MariaDB, %d on PostgreSQL" % (len(m), len(p)))
bad = []
for n, (a, b) in enumerate(zip(m, p), 1):
    fa, fb = a.split("\t"), b.split("\t")
    if len(fa) != len(fb):
        bad.append("row %d: %d fields vs %d" % (n, len(fa), len(fb)))
        continue
    for i, (x, y) in enumerate(zip(fa, fb)):
        mode = modes[i] if i < len(modes) and modes[i] else "s"
        if not same(mode, x, y):
            bad.append("row %d field %d (%s): MariaDB %r, PostgreSQL %r" % (n, i + 1, mode, x[:200], y[:200]))
if bad:
    sys.exit("; ".join(bad[:8]) + ("; +%d more" % (len(bad) - 8) if len(bad) > 8 else ""))
print("%d rows equal" % len(m))
PY
    ); then
        fail "$what: $out"
        return 1
    fi
    note "$what: $out"
}

# m_digest DB TABLE COLS: "count sum" over MariaDB rows: sum of the first 32 bits of md5(CONCAT_WS('|', COLS)).
# pg_digest TDB TABLE COLS: the same on the target (concat_ws skips NULLs on both sides).
m_digest() {
    msql "$1" "SELECT COUNT(*), COALESCE(SUM(CAST(CONV(LEFT(MD5(CONCAT_WS('|', $3)), 8), 16, 10) AS UNSIGNED)), 0) FROM $2" | tr '\t' ' '
}
pg_digest() {
    psql_tgt "$1" "SELECT count(*) || ' ' || coalesce(sum(('x' || left(md5(concat_ws('|', $3)), 8))::bit(32)::bigint), 0) FROM $2"
}

# assert_digests_equal MDB TDB MTABLE PTABLE COLS: the digests above are equal.
assert_digests_equal() {
    local a b
    a=$(m_digest "$1" "$3" "$5" 2>&1) || { fail "digest of $3 on MariaDB: $a"; return 1; }
    b=$(pg_digest "$2" "$4" "$5" 2>&1) || { fail "digest of $4 on target: $b"; return 1; }
    if [ "$a" != "$b" ]; then
        fail "table $3 differs: MariaDB count/digest '$a', target '$b'"
        return 1
    fi
    note "table $3 equal ($a)"
}

# ---------------------------------------------------------------- cleanup

_gw_test_cleanup() {
    local pid db
    for pid in "${GW_BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    if [ "${GW_KEEP_TMP:-0}" != 1 ]; then
        for db in "${GW_DBS[@]}"; do
            reset_stream "$db" 2>/dev/null
            dropdb -h 127.0.0.1 -p "$SRC_PORT" -U postgres --if-exists --force "$db" >/dev/null 2>&1
            dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$db" >/dev/null 2>&1
        done
        for db in "${GW_MDBS[@]}"; do
            msql "" "DROP DATABASE IF EXISTS \`${db//\`/\`\`}\`" >/dev/null 2>&1
            [[ $db =~ ^[a-z_][a-z0-9_]*$ ]] && dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$db" >/dev/null 2>&1
        done
    fi
}

if [ -z "${GODWIT:-}" ]; then GODWIT="$GW_ROOT/build/godwit"; fi
if [ -z "${SRC_PORT:-}" ] || [ -z "${TGT_PORT:-}" ]; then
    echo "lib.sh: SRC_PORT/TGT_PORT not set: run tests through tests/integration/run.sh" >&2
    exit 2
fi

# ---- verify reports

# spec NAME <<'JSON': writes the expected report (see check_report) to $GW_OUT/NAME.json, echoes the path.
spec() { cat >"$GW_OUT/$1.json"; echo "$GW_OUT/$1.json"; }

# check_report WHAT FILE SPECFILE: FILE (verify --format json) is one JSON object per line, per table then
# the summary, and matches SPECFILE exactly:
#   {"tables": {"SCHEMA.TABLE": {"rows": N | [MIN, MAX], "missing": [KEY...], "extra": [KEY...],
#               "mismatched": [[KEY, [COLUMN...]]...], "schema": [[KIND, COLUMN, SIDE]...],
#               "values": [[KEY, COLUMN, SOURCE, TARGET]...]}, ...},
#    "max_report": N (default 20), "equal": true|false}
# Every table of the report is in "tables" and every table of "tables" in the report (names unquoted
# or quoted as SQL identifiers); counts are exact; the listed differences are exactly the expected ones
# (or, when more than max_report, that many of them); a mismatched row names exactly its columns; the
# summary adds up.  KEY is an object {column: "value"} as in the contract.
check_report() {
    local what=$1 file=$2 specf=$3 out line
    if out=$(python3 "$GW_ROOT/tests/integration/verify_report_check.py" "$file" "$specf" 2>&1); then
        note "$what: the report is as expected"
        return 0
    fi
    while IFS= read -r line; do fail "$what: $line"; done <<<"$out"
    _gw_dump "$file" "verify report"
    return 1
}

# apply_repair FILE DB: applies a repair file to the target as the contract says (psql, ON_ERROR_STOP,
# the target server's own session defaults).
apply_repair() {
    if [ ! -s "$1" ]; then fail "repair file $1 is missing or empty"; return 1; fi
    grep -qx 'BEGIN;' "$1" || fail "repair file $1 has no line 'BEGIN;'"
    grep -qx 'COMMIT;' "$1" || fail "repair file $1 has no line 'COMMIT;'"
    if ! psql -X -q -v ON_ERROR_STOP=1 -d "$(tgt_url "$2")" -f "$1" >"$GW_OUT/repair.out" 2>&1; then
        fail "applying the repair file $1 to the target failed: $(_gw_first_lines "$GW_OUT/repair.out")"
        return 1
    fi
    note "applied $1 ($(wc -l <"$1") lines) to the target"
}

# ---------------------------------------------------------------- the changefeed webhook (failback from CockroachDB)
# webhook_init PHASE: what a failback --changefeed listens with: a certificate for 127.0.0.1 (CERT, KEY), a
# token in a file only its owner reads (TOKEN, TOKENF), a free PORT, and the phase's webhook URL.
webhook_init() {
    CERT=$GW_OUT/cert.pem KEY=$GW_OUT/key.pem TOKENF=$GW_OUT/token
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$KEY" -out "$CERT" -days 2 \
        -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >"$GW_OUT/openssl.log" 2>&1 || abort_test "openssl"
    TOKEN="tok-$(openssl rand -hex 16)"
    printf '%s\n' "$TOKEN" >"$TOKENF"
    chmod 600 "$TOKENF"
    PORT=$(free_port)
    URL="https://127.0.0.1:$PORT/godwit/$1"
}

# webhook_post CODE NAME [--no-auth] [CURL ARGS...]: POSTs $GW_OUT/NAME.json to $URL (with the token unless
# --no-auth), asserts the HTTP status; the answer is in $GW_OUT/NAME.resp.
webhook_post() {
    local code=$1 name=$2; shift 2
    local auth=(-H "Authorization: Bearer $TOKEN")
    [ "${1:-}" = --no-auth ] && { auth=(); shift; }
    local got
    got=$(curl -sS --cacert "$CERT" -o "$GW_OUT/$name.resp" -w '%{http_code}' "${auth[@]}" \
        -H 'Content-Type: application/json' --data-binary @"$GW_OUT/$name.json" "$@" "$URL" 2>"$GW_OUT/$name.curl")
    assert_eq "$code" "$got" "HTTP status of $name ($(head -c 200 "$GW_OUT/$name.resp" "$GW_OUT/$name.curl" 2>/dev/null | tr '\n' ' '))"
}

# webhook_failback_start VAR DB PHASE [ARGS...]: failback --changefeed of PHASE in the background, listening
# as webhook_init set up (TLS_CERT and TLS_KEY, when set, replace its certificate); VAR (pid), VAR_OUT and
# VAR_ERR are set once it listens.
webhook_failback_start() {
    local var=$1 db=$2 phase=$3; shift 3
    bg_start "$var" "$GODWIT" failback --source "$(src_url "$db")" --target "$(tgt_url "$db")" --phase "$phase" \
        --changefeed --listen "127.0.0.1:$PORT" --tls-cert "${TLS_CERT:-$CERT}" --tls-key "${TLS_KEY:-$KEY}" \
        --token-file "$TOKENF" "$@"
    printf -v "${var}_OUT" '%s' "$OUT"
    printf -v "${var}_ERR" '%s' "$ERR"
    wait_for 60 grep -q "webhook listening\|error" "$ERR" || abort_test "failback did not start listening"
    grep -q "webhook listening" "$ERR" || abort_test "failback failed: $(_gw_first_lines "$ERR")"
}

# run_walkthrough DOC DIR: the console blocks of docs/DOC run as written in directory DIR, with SOURCE,
# TARGET and godwit's URL variables already exported, their output compared with the page
# (walkthrough.py); WALKTHROUGH_RECORD=1 prints what they print instead, into /tmp/DOC.recorded.
run_walkthrough() {
    local doc=$1 bin=$GW_OUT/bin
    mkdir -p "$bin" "$2"
    ln -sf "$GODWIT" "$bin/godwit"
    WALKTHROUGH_DIR=$2 PATH="$bin:$PATH" python3 "$GW_ROOT/tests/integration/walkthrough.py" \
        ${WALKTHROUGH_RECORD:+--record} "$doc" >"$GW_OUT/$(basename "$doc").out" 2>&1 ||
        fail "$(basename "$doc"): $(head -c 1500 "$GW_OUT/$(basename "$doc").out")"
    [ -z "${WALKTHROUGH_RECORD:-}" ] || cp "$GW_OUT/$(basename "$doc").out" "/tmp/$(basename "$doc").recorded"
}
