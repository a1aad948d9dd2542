#!/usr/bin/env bash
# The walkthroughs in docs/ (delta; phased with failback and rollback) run as written against the test servers: every command of each, in order,
# prints what the document shows (walkthrough.py), so that the documents cannot rot.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=$GW_OUT/bin
mkdir -p "$BIN"
ln -sf "$GODWIT" "$BIN/godwit"
n=0
# Each walkthrough on databases of its own, in a working directory of its own (its files: a plan, ...).
for doc in "$GW_ROOT"/docs/walkthrough-*.md; do
    case $doc in *-mysql.md) continue ;; esac   # test_docs_walkthrough_mysql.sh
    n=$((n + 1))
    DB=$(new_dbs "gw_walkthrough_$n") || abort_test "createdb"
    register_dbs "$DB"
    export SOURCE=$(src_url "$DB") TARGET=$(tgt_url "$DB")
    export GODWIT_SOURCE_URL=$SOURCE GODWIT_TARGET_URL=$TARGET
    export WALKTHROUGH_DIR=$GW_OUT/work_$n
    mkdir -p "$WALKTHROUGH_DIR"
    PATH="$BIN:$PATH" python3 "$GW_ROOT/tests/integration/walkthrough.py" ${WALKTHROUGH_RECORD:+--record} "$doc" \
        >"$GW_OUT/$(basename "$doc").out" 2>&1 || fail "$(basename "$doc"): $(head -c 1500 "$GW_OUT/$(basename "$doc").out")"
    [ -n "${WALKTHROUGH_RECORD:-}" ] && cp "$GW_OUT/$(basename "$doc").out" "/tmp/$(basename "$doc").recorded"
done
finish
