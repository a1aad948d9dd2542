#!/bin/sh
# Runs each libFuzzer target given (build/fuzz/fuzz_NAME) for $FUZZ_SECONDS over its seeds
# (tests/fuzz/corpus/NAME) and fails on the first target that crashes, leaks or trips a sanitizer.
# New inputs go to $FUZZ_BUILD/corpus/NAME, failing ones to $FUZZ_BUILD/crashes/NAME-*; a target's
# output is in $FUZZ_BUILD/NAME.log, whose end is shown when it fails.
set -u
: "${FUZZ_BUILD:=build/fuzz}" "${FUZZ_SECONDS:=25}"
status=0
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    seeds=tests/fuzz/corpus/$name
    mkdir -p "$FUZZ_BUILD/corpus/$name" "$FUZZ_BUILD/crashes" "$seeds"
    log=$FUZZ_BUILD/$name.log
    if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$FUZZ_BUILD/crashes/$name-" "$FUZZ_BUILD/corpus/$name" "$seeds" >"$log" 2>&1; then
        echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    else
        echo "fuzz $name: FAILED (input in $FUZZ_BUILD/crashes/, log $log):" >&2
        tail -n 60 "$log" >&2
        status=1
    fi
done
exit $status
