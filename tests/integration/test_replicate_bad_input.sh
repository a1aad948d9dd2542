#!/usr/bin/env bash
# replicate refuses what it cannot do, with exit 2 and a short message, and changes nothing:
# a phase that was never fetched (no _godwit state at all, or state for other phases only);
# a phase fetched with --no-stream; malformed URLs, missing or unknown options, bad numbers.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_bad) || abort_test "createdb"
DB2=$(new_dbs gw_repl_bad_nostate) || abort_test "createdb"
DB3=$(new_dbs gw_repl_bad_nostream) || abort_test "createdb"
register_dbs "$DB" "$DB2" "$DB3"
setup_src "$DB" "CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')"
setup_src "$DB2" "CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')"

# Never fetched, nothing on the target at all.
gw_replicate 2 "$DB2" "$DB2" --stop-when-caught-up
assert_contains "$ERR" "fetch"
assert_short_message "$ERR" 8
assert_no_user_tables "$DB2"
assert_eq "" "$(slots_of src "$DB2")" "replication slots created by a replicate that was refused"

# Another phase was fetched; this one was not.
gw_fetch 0 "$DB" "$DB" --phase fetched_bad --jobs 2 || abort_test "fetch failed"
gw_replicate 2 "$DB" "$DB" --phase never_fetched --stop-when-caught-up
assert_contains "$ERR" "fetch"
assert_contains "$ERR" "never_fetched"
assert_short_message "$ERR" 8
SLOT=$(slot_name "$DB" fetched_bad)
assert_eq "$SLOT:pgoutput" "$(slots_of src "$DB")" "replication slots of the source database"
# The default phase was not fetched either.
gw_replicate 2 "$DB" "$DB" --stop-when-caught-up
assert_contains "$ERR" "fetch"

# A phase fetched with --no-stream: no slot to stream from.
gw_fetch 0 "$DB" "$DB3" --phase nostream_bad --no-stream --jobs 2 || abort_test "fetch --no-stream failed"
gw_replicate 2 "$DB" "$DB3" --phase nostream_bad --stop-when-caught-up
assert_short_message "$ERR" 8
assert_contains_re "$ERR" "no-stream|stream|slot"
assert_eq "$SLOT:pgoutput" "$(slots_of src "$DB")" "replication slots after replicate of a --no-stream phase"

# The fetched phase still works after all this.
setup_src "$DB" "INSERT INTO t VALUES (2, 'b')"
gw_replicate 0 "$DB" "$DB" --phase fetched_bad --stop-when-caught-up
assert_tables_equal "$DB" "$DB" public.t id

# Malformed URLs and bad options.
S=$(src_url "$DB") T=$(tgt_url "$DB")
bad() {
    GW_CONTEXT="$1"; shift
    assert_exit 2 "$GODWIT" replicate "$@" && assert_short_message "$ERR" 8
    GW_CONTEXT=""
}
bad "malformed source URL" --source "postgres://[::1" --target "$T" --phase fetched_bad --stop-when-caught-up
bad "malformed target URL" --source "$S" --target "postgres://127.0.0.1:notaport/x" --phase fetched_bad --stop-when-caught-up
bad "unknown URL scheme" --source "http://127.0.0.1/x" --target "$T" --phase fetched_bad --stop-when-caught-up
bad "empty source URL" --source "" --target "$T" --phase fetched_bad --stop-when-caught-up
bad "missing --target" --source "$S" --phase fetched_bad --stop-when-caught-up
bad "missing --source" --target "$T" --phase fetched_bad --stop-when-caught-up
bad "unknown option" --source "$S" --target "$T" --phase fetched_bad --stop-when-caught-up --no-such-option
bad "bad --retry-for" --source "$S" --target "$T" --phase fetched_bad --stop-when-caught-up --retry-for soon
bad "negative --retry-for" --source "$S" --target "$T" --phase fetched_bad --stop-when-caught-up --retry-for -5
bad "bad --group-size" --source "$S" --target "$T" --phase fetched_bad --stop-when-caught-up --group-size 0
bad "empty --phase" --source "$S" --target "$T" --phase "" --stop-when-caught-up
# The commands that end a phase's streams take no empty name either (it would be the default phase).
for cmd in cutover rollback finish; do
    GW_CONTEXT="$cmd --phase ''"
    assert_exit 2 "$GODWIT" "$cmd" --source "$S" --target "$T" --phase "" && assert_contains "$ERR" "--phase"
    GW_CONTEXT=""
done
assert_eq "$SLOT:pgoutput" "$(slots_of src "$DB")" "replication slots after the refused commands"

finish
