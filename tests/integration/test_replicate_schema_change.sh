#!/usr/bin/env bash
# A column added on the source stops the stream: replicate exits non-zero (3 or 4) with a message
# naming the table, the column and the position it stopped at, and applies nothing of the changes
# that need the column; run again, it stops the same way.  Once the operator adds the column on the
# target, replicate --stop-when-caught-up resumes and the tables are equal.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_schema) || abort_test "createdb"
register_dbs "$DB"
PHASE=schema_change

setup_src "$DB" - <<'SQL'
CREATE TABLE items (id integer PRIMARY KEY, v text);
CREATE TABLE other (id integer PRIMARY KEY, v text);
INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 100) i;
INSERT INTO other SELECT i, 'o' || i FROM generate_series(1, 10) i;
SQL
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --jobs 2 || abort_test "fetch failed"

# Changes before the column exists: applied.
setup_src "$DB" "INSERT INTO items VALUES (101, 'before'); UPDATE other SET v = 'before' WHERE id = 1"
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_tables_equal "$DB" "$DB" public.items id
assert_tables_equal "$DB" "$DB" public.other id
CP0=$(checkpoint_of "$DB" "$(stream_name "$DB" "$PHASE")" 2>&1)

setup_src "$DB" - <<'SQL'
UPDATE other SET v = 'unrelated' WHERE id = 2;
ALTER TABLE items ADD COLUMN "Extra Col" integer;
INSERT INTO items VALUES (102, 'with extra', 42);
UPDATE items SET "Extra Col" = 7 WHERE id = 1;
SQL
for attempt in 1 2; do
    # It must stop at once: this is not a connection problem to retry (20 s is generous).
    GW_CMD_TIMEOUT=20 gw_replicate any "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
    if [ "$RC" != 3 ] && [ "$RC" != 4 ]; then
        fail "attempt $attempt: replicate after ADD COLUMN on the source: expected exit 3 or 4, got $RC$([ "$RC" = 124 ] && echo " (still running after 20s; it retried $(grep -c 'reconnecting' "$ERR") times)")"
        _gw_dump "$ERR" stderr
    fi
    assert_contains "$ERR" "items"
    assert_contains "$ERR" "Extra Col"
    assert_contains_re "$ERR" "[0-9A-F]+/[0-9A-F]+"
    grep -aiE 'error' "$ERR" | grep -qF 'Extra Col' ||
        fail "attempt $attempt: no error line names the column: $(_gw_first_lines "$ERR")"
    # The position named is where the stream stands on the target (the last applied transaction).
    pos=$(grep -aiF 'Extra Col' "$ERR" | grep -oE '[0-9A-F]+/[0-9A-F]+' | tail -n 1)
    cp=$(checkpoint_of "$DB" "$(stream_name "$DB" "$PHASE")" 2>&1)
    note "attempt $attempt: message names position $pos; target checkpoint $cp"
    lsn_cmp "$pos" ">=" "$CP0" || fail "attempt $attempt: position in the message ($pos) is before the last applied checkpoint ($CP0)"
    assert_eq "" "$(psql_tgt "$DB" "SELECT id FROM items WHERE id = 102" 2>&1)" "attempt $attempt: row needing the new column on the target"
done

# The operator adds the column on the target: the stream resumes.
setup_tgt "$DB" 'ALTER TABLE items ADD COLUMN "Extra Col" integer'
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_tables_equal "$DB" "$DB" public.items id
assert_tables_equal "$DB" "$DB" public.other id
assert_eq "42" "$(psql_tgt "$DB" "SELECT \"Extra Col\" FROM items WHERE id = 102" 2>&1)" "new column of row 102 on the target"

# And it goes on streaming changes that use the column.
setup_src "$DB" "UPDATE items SET \"Extra Col\" = id WHERE id <= 10; DELETE FROM items WHERE id = 102"
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_tables_equal "$DB" "$DB" public.items id

finish
