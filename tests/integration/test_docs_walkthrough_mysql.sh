#!/usr/bin/env bash
# The walkthroughs in docs/ from MySQL/MariaDB (docs/walkthrough-*-mysql.md) run as written against the
# test servers, as test_docs_walkthrough.sh runs the PostgreSQL ones: SOURCE is a MariaDB database, and
# source.cnf in the working directory says how the mariadb client reaches it (as an operator's option
# file would, the password out of the command line).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=$GW_OUT/bin
mkdir -p "$BIN"
ln -sf "$GODWIT" "$BIN/godwit"
n=0
for doc in "$GW_ROOT"/docs/walkthrough-*-mysql.md; do
    n=$((n + 1))
    MDB=$(new_mdb "gw_walkthrough_m$n") || abort_test "create databases"
    register_mdbs "$MDB"
    export SOURCE=$(m_url "$MDB") TARGET=$(tgt_url "$MDB")
    export GODWIT_SOURCE_URL=$SOURCE GODWIT_TARGET_URL=$TARGET
    export WALKTHROUGH_DIR=$GW_OUT/work_$n
    mkdir -p "$WALKTHROUGH_DIR"
    printf '[client]\nhost=127.0.0.1\nport=%s\nuser=root\ndatabase=%s\n' "$(pg_port "$GW_MSRC_SERVER")" "$MDB" \
        >"$WALKTHROUGH_DIR/source.cnf"
    PATH="$BIN:$PATH" python3 "$GW_ROOT/tests/integration/walkthrough.py" ${WALKTHROUGH_RECORD:+--record} "$doc" \
        >"$GW_OUT/$(basename "$doc").out" 2>&1 || fail "$(basename "$doc"): $(head -c 1500 "$GW_OUT/$(basename "$doc").out")"
    [ -n "${WALKTHROUGH_RECORD:-}" ] && cp "$GW_OUT/$(basename "$doc").out" "/tmp/$(basename "$doc").recorded"
done
[ "$n" -ge 1 ] || fail "no MySQL walkthrough in docs/"
finish
