#!/usr/bin/env bash
# The walkthroughs in docs/ from MySQL/MariaDB (docs/walkthrough-*-mysql.md) run as written against the
# test servers, as test_docs_walkthrough.sh runs the PostgreSQL ones: SOURCE is a MariaDB database (SCHEMA
# its name, the target's schema), and source.cnf in the working directory says how the mariadb client reaches it (as an operator's option
# file would, the password out of the command line).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=0
for doc in "$GW_ROOT"/docs/walkthrough-*-mysql.md; do
    n=$((n + 1))
    MDB=$(new_mdb "gw_walkthrough_m$n") || abort_test "create databases"
    register_mdbs "$MDB"
    export SOURCE=$(m_url "$MDB") TARGET=$(tgt_url "$MDB")
    export GODWIT_SOURCE_URL=$SOURCE GODWIT_TARGET_URL=$TARGET SCHEMA=$MDB
    mkdir -p "$GW_OUT/work_$n"
    printf '[client]\nhost=127.0.0.1\nport=%s\nuser=root\ndatabase=%s\n' "$(pg_port "$GW_MSRC_SERVER")" "$MDB" \
        >"$GW_OUT/work_$n/source.cnf"
    run_walkthrough "$doc" "$GW_OUT/work_$n"
done
[ "$n" -ge 1 ] || fail "no MySQL walkthrough in docs/"
finish
