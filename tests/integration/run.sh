#!/usr/bin/env bash
# tests/integration/run.sh: runs the integration tests against real PostgreSQL 15 servers.
#
#   GODWIT=/abs/path/to/godwit bash tests/integration/run.sh [PATTERN...]
#
# Runs every tests/integration/test_*.sh whose name contains one of the PATTERNs (bash globs,
# e.g. "fetch_b*" or "types"; none: all tests), each as a child process with a time limit, in
# GW_TEST_JOBS lanes at once (default 2).  Every lane starts its own servers: one PostgreSQL source
# and one target (each test makes its own databases), and a MariaDB source (msrc) when a test of the
# selection has "mysql" in its name.  Lanes share nothing, so replication slots, origins and server
# sessions of one test are never seen by a test of another lane.  A lane takes the next test not yet
# taken, longest first (by the last run's times in $GW_TEST_LOGS/NAME.time, else tests/integration/times).
#
# Prints "ok NAME" or "FAIL NAME (reason)" per test as it ends, and last the line
# "N passed, N failed".  Exit status 1 if a test failed.  Each test's full log is kept in
# $GW_TEST_LOGS (default build/integration-logs) as NAME.log, the stdout/stderr of the commands it
# ran in NAME.out/.
#
# Environment: GODWIT (default build/godwit), GW_TEST_JOBS (lanes, default 2), GW_TEST_TIMEOUT
# (seconds per test, default 300), GW_VERBOSE=1 (print every test's log), GW_KEEP_TMP=1 (keep
# server dirs and databases), GW_PLAIN_SERVERS=1 (no deliberately different session defaults on the
# two servers, see below).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GW_ROOT=$(cd "$HERE/../.." && pwd)
export GW_ROOT
GODWIT=${GODWIT:-$GW_ROOT/build/godwit}
case $GODWIT in /*) ;; *) GODWIT="$PWD/$GODWIT" ;; esac
export GODWIT
GW_TEST_TIMEOUT=${GW_TEST_TIMEOUT:-300}
GW_TEST_LOGS=${GW_TEST_LOGS:-$GW_ROOT/build/integration-logs}
GW_TEST_JOBS=${GW_TEST_JOBS:-2}
export GW_TEST_TIMEOUT GW_TEST_LOGS

# ---------------------------------------------------------------------------------------------
# A lane: started by the runner below as "run.sh --lane N QUEUE"; QUEUE is a directory holding
# "list" (the test files, in the order to take them) and one subdirectory per test taken.

# Takes the next test of the queue nobody took yet (mkdir is atomic); prints its file.
lane_claim() {
    local queue=$1 f
    while IFS= read -r f; do
        if mkdir "$queue/taken.$(basename "$f" .sh)" 2>/dev/null; then
            printf '%s\n' "$f"
            return 0
        fi
    done <"$queue/list"
    return 1
}

# The two servers deliberately differ in the session defaults that change the text form of values
# (time zone, date style and order, interval style, float digits), as two production servers can.
# godwit must move values exactly regardless; the tests' own queries pin these settings per session.
lane_start_servers() {
    local queue=$1 src_settings=() tgt_settings=()
    if [ "${GW_PLAIN_SERVERS:-0}" != 1 ]; then
        src_settings=("TimeZone=America/New_York" "DateStyle=SQL, DMY" "IntervalStyle=sql_standard" "extra_float_digits=0")
        tgt_settings=("TimeZone=Asia/Kolkata" "DateStyle=ISO, MDY" "IntervalStyle=iso_8601")
    fi
    pg_server_start src "${src_settings[@]}" || { echo "could not start the source server" >&2; return 1; }
    pg_server_start tgt "${tgt_settings[@]}" || { echo "could not start the target server" >&2; return 1; }
    if grep -q 'mysql[^/]*$' "$queue/list"; then
        mariadb_server_start msrc || { echo "could not start the MariaDB source server" >&2; return 1; }
    fi
}

# Runs one test file with its time limit; prints "ok NAME" or "FAIL NAME (reason)"; returns its
# status.  In the background and waited for, so that a signal to the lane is handled at once.
lane_run_test() {
    local f=$1 name log out rc t1 kept reason nfail
    name=$(basename "$f" .sh)
    # Written in this lane's temp dir, copied to GW_TEST_LOGS when the test ends, so that two runs
    # at once (or a test's leftover process) never interleave in one file.
    log="$GW_TMP/logs/$name.log"
    mkdir -p "$GW_TMP/logs"
    out="$GW_TMP/out/$name"
    rm -rf "$out"; mkdir -p "$out"
    t1=$SECONDS
    (
        cd "$GW_ROOT" || exit 1
        export GW_TEST_NAME="$name" GW_OUT="$out"
        exec timeout -k 15 "$GW_TEST_TIMEOUT" bash "$f"
    ) >"$log" 2>&1 </dev/null &
    child=$!
    wait "$child"
    rc=$?
    child=""
    echo "$((SECONDS - t1))" >"$GW_TEST_LOGS/$name.time"
    kept=$log
    # The test's captured command outputs too (named in its log as $GW_TMP/out/NAME/cmdN.*).
    rm -rf "$GW_TEST_LOGS/$name.out.$$"; cp -r "$out" "$GW_TEST_LOGS/$name.out.$$" 2>/dev/null &&
        rm -rf "$GW_TEST_LOGS/$name.out" && mv -f "$GW_TEST_LOGS/$name.out.$$" "$GW_TEST_LOGS/$name.out"
    cp "$log" "$GW_TEST_LOGS/$name.log.$$" && mv -f "$GW_TEST_LOGS/$name.log.$$" "$GW_TEST_LOGS/$name.log" &&
        kept="$GW_TEST_LOGS/$name.log"
    if [ $rc = 0 ]; then
        echo "ok $name ($((SECONDS - t1))s)"
    else
        reason=$(grep -a -m1 '^FAIL: ' "$log" | sed 's/^FAIL: //' | cut -c1-300)
        nfail=$(grep -a -c '^FAIL: ' "$log")
        if [ $rc = 124 ] || [ $rc = 137 ]; then
            reason="timed out after ${GW_TEST_TIMEOUT}s${reason:+; first failure: $reason}"
        elif [ -z "$reason" ]; then
            reason="exit $rc without a FAIL line; see $kept"
        elif [ "$nfail" -gt 1 ]; then
            reason="$reason; +$((nfail - 1)) more"
        fi
        # One write, so that lines of two lanes never interleave.
        if [ "${GW_VERBOSE:-0}" != 1 ]; then
            printf 'FAIL %s (%s)\n%s\n    (full log: %s)\n' "$name" "$reason" \
                "$(grep -a '^FAIL: ' "$log" | sed 's/^/    /' | cut -c1-400)" "$kept"
        else
            echo "FAIL $name ($reason)"
        fi
    fi
    if [ "${GW_VERBOSE:-0}" = 1 ]; then sed 's/^/    /' "$log"; fi
    return $rc
}

# Ctrl-C or SIGTERM: stop the running test (timeout forwards the signal; the test cleans up while
# the servers still run), then exit; servers.sh's EXIT handler stops the servers.
lane_main() {
    local lane=$1 queue=$2 f passed=0 failed=0
    child=""
    trap 'trap "" INT TERM; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi; exit 130' INT TERM
    unset GW_TMP
    . "$GW_ROOT/tests/servers.sh"
    if ! lane_start_servers "$queue"; then
        # The tests this lane would have run are left to the other lanes; none left means failure.
        echo "lane $lane: servers did not start" >&2
        echo "0 0 servers" >"$queue/result.$lane"
        return 1
    fi
    echo "# lane $lane: source $SRC_URL, target $TGT_URL${MSRC_URL:+, MariaDB $MSRC_URL} (in $GW_TMP)"
    while f=$(lane_claim "$queue"); do
        if lane_run_test "$f"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    echo "$passed $failed" >"$queue/result.$lane"
}

if [ "${1:-}" = --lane ]; then
    lane_main "$2" "$3"
    exit $?
fi

# ---------------------------------------------------------------------------------------------
# The runner: selects the tests, orders them longest first, starts the lanes, sums their results.

patterns=("$@")
if [ ! -x "$GODWIT" ]; then
    echo "warning: $GODWIT is not an executable; every test will fail (run 'make')" >&2
fi

tests=()
for f in "$HERE"/test_*.sh; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .sh)
    if [ ${#patterns[@]} -gt 0 ]; then
        hit=""
        for p in "${patterns[@]}"; do
            # shellcheck disable=SC2053
            [[ $name == *$p* ]] && hit=1
        done
        [ -n "$hit" ] || continue
    fi
    tests+=("$f")
done
if [ ${#tests[@]} -eq 0 ]; then
    echo "no test matches '$*'" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

mkdir -p "$GW_TEST_LOGS"
queue=$(mktemp -d "${TMPDIR:-/tmp}/godwit-queue.XXXXXX") || exit 1
# Longest first: by the last run's time here, else by tests/integration/times (seconds per test
# under the sanitizers, committed for a fresh checkout); a test never timed counts as long (it may be
# new and slow).
for f in "${tests[@]}"; do
    name=$(basename "$f" .sh)
    t=$(cat "$GW_TEST_LOGS/$name.time" 2>/dev/null) || t=""
    [[ $t =~ ^[0-9]+$ ]] || t=$(awk -v n="$name" '$1 == n { print $2 }' "$HERE/times" 2>/dev/null)
    [[ $t =~ ^[0-9]+$ ]] || t=1000
    printf '%s\t%s\n' "$t" "$f"
done | sort -t$'\t' -k1,1nr -k2,2 | cut -f2 >"$queue/list"

lanes=$GW_TEST_JOBS
[[ $lanes =~ ^[1-9][0-9]*$ ]] || lanes=2
[ "$lanes" -gt ${#tests[@]} ] && lanes=${#tests[@]}

pids=()
_run_interrupted() {
    trap '' INT TERM
    kill -TERM "${pids[@]}" 2>/dev/null
    wait
    rm -rf "$queue"
    echo "interrupted" >&2
    exit 130
}
trap _run_interrupted INT TERM
echo "# godwit: $GODWIT; ${#tests[@]} tests in $lanes lanes"
t0=$SECONDS
for lane in $(seq 1 "$lanes"); do
    bash "$HERE/run.sh" --lane "$lane" "$queue" &
    pids+=($!)
done
wait "${pids[@]}"

passed=0 failed=0
for lane in $(seq 1 "$lanes"); do
    read -r p fl _ <"$queue/result.$lane" 2>/dev/null || { p=0 fl=0; }
    passed=$((passed + p)) failed=$((failed + fl))
done
# Tests no lane ran (every lane's servers failed to start) count as failed.
notrun=$(( ${#tests[@]} - passed - failed ))
[ "$notrun" -gt 0 ] && echo "FAIL: $notrun tests not run (no lane could start its servers)"
failed=$((failed + notrun))
rm -rf "$queue"
echo "# total $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
