#!/usr/bin/env bash
# The walkthroughs in docs/ run as written against the test servers: every command of each, in order,
# prints what the document shows (walkthrough.py), so that the documents cannot rot.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_walkthrough) || abort_test "createdb"
register_dbs "$DB"
BIN=$GW_OUT/bin
mkdir -p "$BIN"
ln -sf "$GODWIT" "$BIN/godwit"
export SOURCE=$(src_url "$DB") TARGET=$(tgt_url "$DB")
export GODWIT_SOURCE_URL=$SOURCE GODWIT_TARGET_URL=$TARGET
for doc in "$GW_ROOT"/docs/walkthrough-*.md; do
    PATH="$BIN:$PATH" python3 "$GW_ROOT/tests/integration/walkthrough.py" ${WALKTHROUGH_RECORD:+--record} "$doc" \
        >"$GW_OUT/$(basename "$doc").out" 2>&1 || fail "$(basename "$doc"): $(head -c 1500 "$GW_OUT/$(basename "$doc").out")"
    [ -n "${WALKTHROUGH_RECORD:-}" ] && cp "$GW_OUT/$(basename "$doc").out" "/tmp/$(basename "$doc").recorded"
done
finish
