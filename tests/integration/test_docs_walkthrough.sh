#!/usr/bin/env bash
# The walkthroughs in docs/ (delta; phased with failback and rollback) run as written against the test servers: every command of each, in order,
# prints what the document shows (walkthrough.py), so that the documents cannot rot.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=0
# Each walkthrough on databases of its own, in a working directory of its own (its files: a plan, ...).
for doc in "$GW_ROOT"/docs/walkthrough-*.md; do
    case $doc in *-mysql.md) continue ;; esac   # test_docs_walkthrough_mysql.sh
    n=$((n + 1))
    DB=$(new_dbs "gw_walkthrough_$n") || abort_test "createdb"
    register_dbs "$DB"
    export SOURCE=$(src_url "$DB") TARGET=$(tgt_url "$DB")
    export GODWIT_SOURCE_URL=$SOURCE GODWIT_TARGET_URL=$TARGET
    run_walkthrough "$doc" "$GW_OUT/work_$n"
done
finish
