#!/usr/bin/env bash
# tests/integration/run.sh: runs the integration tests against real PostgreSQL 15 servers.
#
#   GODWIT=/abs/path/to/godwit bash tests/integration/run.sh [PATTERN...]
#
# Starts one source and one target server (shared by all tests; each test makes its own databases), and a
# MariaDB source server (msrc) when a selected test's name contains "mysql",
# then runs every tests/integration/test_*.sh whose name contains one of the PATTERNs (bash globs,
# e.g. "fetch_b*" or "types"; none: all tests), each as a child process with a time limit.  Prints "ok NAME" or
# "FAIL NAME (reason)" per test, and last the line "N passed, N failed".  Exit status 1 if a test
# failed.  Each test's full log is kept in $GW_TEST_LOGS (default build/integration-logs) as NAME.log,
# the stdout/stderr of the commands it ran in NAME.out/.
#
# Environment: GODWIT (default build/godwit), GW_TEST_TIMEOUT (seconds per test, default 300),
# GW_VERBOSE=1 (print every test's log), GW_KEEP_TMP=1 (keep server dirs and databases),
# GW_PLAIN_SERVERS=1 (no deliberately different session defaults on the two servers, see below).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GW_ROOT=$(cd "$HERE/../.." && pwd)
export GW_ROOT
GODWIT=${GODWIT:-$GW_ROOT/build/godwit}
case $GODWIT in /*) ;; *) GODWIT="$PWD/$GODWIT" ;; esac
export GODWIT
GW_TEST_TIMEOUT=${GW_TEST_TIMEOUT:-300}
GW_TEST_LOGS=${GW_TEST_LOGS:-$GW_ROOT/build/integration-logs}
patterns=("$@")

# Ctrl-C or SIGTERM: stop the running test (timeout forwards the signal; the test cleans up while
# the servers still run), then exit; servers.sh's EXIT handler stops the servers.
child=""
_run_interrupted() {
    trap '' INT TERM
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
    echo "interrupted" >&2
    exit 130
}
trap _run_interrupted INT TERM
. "$GW_ROOT/tests/servers.sh"

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

# The two servers deliberately differ in the session defaults that change the text form of values
# (time zone, date style and order, interval style, float digits), as two production servers can.
# godwit must move values exactly regardless; the tests' own queries pin these settings per session.
src_settings=() tgt_settings=()
if [ "${GW_PLAIN_SERVERS:-0}" != 1 ]; then
    src_settings=("TimeZone=America/New_York" "DateStyle=SQL, DMY" "IntervalStyle=sql_standard" "extra_float_digits=0")
    tgt_settings=("TimeZone=Asia/Kolkata" "DateStyle=ISO, MDY" "IntervalStyle=iso_8601")
fi
t0=$SECONDS
pg_server_start src "${src_settings[@]}" || { echo "could not start the source server" >&2; echo "0 passed, ${#tests[@]} failed"; exit 1; }
pg_server_start tgt "${tgt_settings[@]}" || { echo "could not start the target server" >&2; echo "0 passed, ${#tests[@]} failed"; exit 1; }
# The shared MariaDB source (msrc), only when a selected test needs it (tests named *mysql*).
for f in "${tests[@]}"; do
    if [[ $(basename "$f") == *mysql* ]]; then
        mariadb_server_start msrc || { echo "could not start the MariaDB source server" >&2; echo "0 passed, ${#tests[@]} failed"; exit 1; }
        echo "# MariaDB source: $MSRC_URL"
        break
    fi
done
echo "# servers: source $SRC_URL, target $TGT_URL (in $GW_TMP, started in $((SECONDS - t0))s)"
echo "# godwit: $GODWIT"

mkdir -p "$GW_TEST_LOGS"
passed=0 failed=0 times=()
for f in "${tests[@]}"; do
    name=$(basename "$f" .sh)
    # Written in this run's temp dir, copied to GW_TEST_LOGS when the test ends, so that two runs at
    # once (or a test's leftover process) never interleave in one file.
    log="$GW_TMP/logs/$name.log"
    mkdir -p "$GW_TMP/logs"
    out="$GW_TMP/out/$name"
    rm -rf "$out"; mkdir -p "$out"
    t1=$SECONDS
    # In the background, so that a signal to this script is handled at once (see above).
    (
        cd "$GW_ROOT" || exit 1
        export GW_TEST_NAME="$name" GW_OUT="$out"
        exec timeout -k 15 "$GW_TEST_TIMEOUT" bash "$f"
    ) >"$log" 2>&1 </dev/null &
    child=$!
    wait "$child"
    rc=$?
    child=""
    times+=("$name=$((SECONDS - t1))s")
    kept=$log
    # The test's captured command outputs too (named in its log as $GW_TMP/out/NAME/cmdN.*).
    rm -rf "$GW_TEST_LOGS/$name.out.$$"; cp -r "$out" "$GW_TEST_LOGS/$name.out.$$" 2>/dev/null &&
        rm -rf "$GW_TEST_LOGS/$name.out" && mv -f "$GW_TEST_LOGS/$name.out.$$" "$GW_TEST_LOGS/$name.out"
    cp "$log" "$GW_TEST_LOGS/$name.log.$$" && mv -f "$GW_TEST_LOGS/$name.log.$$" "$GW_TEST_LOGS/$name.log" &&
        kept="$GW_TEST_LOGS/$name.log"
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        reason=$(grep -a -m1 '^FAIL: ' "$log" | sed 's/^FAIL: //' | cut -c1-300)
        nfail=$(grep -a -c '^FAIL: ' "$log")
        if [ $rc = 124 ] || [ $rc = 137 ]; then
            reason="timed out after ${GW_TEST_TIMEOUT}s${reason:+; first failure: $reason}"
        elif [ -z "$reason" ]; then
            reason="exit $rc without a FAIL line; see $kept"
        elif [ "$nfail" -gt 1 ]; then
            reason="$reason; +$((nfail - 1)) more"
        fi
        echo "FAIL $name ($reason)"
        if [ "${GW_VERBOSE:-0}" != 1 ]; then
            grep -a '^FAIL: ' "$log" | sed 's/^/    /' | cut -c1-400
            echo "    (full log: $kept)"
        fi
    fi
    if [ "${GW_VERBOSE:-0}" = 1 ]; then sed 's/^/    /' "$log"; fi
done
echo "# times: ${times[*]}; total $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
