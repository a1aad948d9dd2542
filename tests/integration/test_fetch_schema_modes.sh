#!/usr/bin/env bash
# --schema create (default) | drop-create | existing, against tables already on the target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_modes) || abort_test "createdb"
T_EXIST=$(new_dbs gw_modes_existing) || abort_test "createdb"
T_NONEMPTY=$(new_dbs gw_modes_nonempty) || abort_test "createdb"
T_DIFF=$(new_dbs gw_modes_differ) || abort_test "createdb"
T_SAME=$(new_dbs gw_modes_same) || abort_test "createdb"
register_dbs "$SRC" "$T_EXIST" "$T_NONEMPTY" "$T_DIFF" "$T_SAME"

TABLE_DDL="CREATE TABLE public.items (id integer PRIMARY KEY, name text NOT NULL, qty integer, price numeric(10,2));
CREATE TABLE public.notes (id bigint PRIMARY KEY, body text);"
setup_src "$SRC" "$TABLE_DDL
INSERT INTO items SELECT i, 'item ' || i, i % 17, i * 0.5 FROM generate_series(1, 1000) i;
INSERT INTO notes SELECT i, repeat('n', i % 50) FROM generate_series(1, 500) i;"

# 1. --schema existing with pre-created empty tables (with an extra index the user made).
setup_tgt "$T_EXIST" "$TABLE_DDL CREATE INDEX items_user_idx ON items (qty);"
gw_fetch 0 "$SRC" "$T_EXIST" --jobs 2 --schema existing
assert_tables_equal "$SRC" "$T_EXIST" public.items id
assert_tables_equal "$SRC" "$T_EXIST" public.notes id
assert_eq 1 "$(psql_tgt "$T_EXIST" "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_user_idx'" 2>&1)" "--schema existing keeps the target's own index"
reset_stream "$SRC"

# 2. --schema existing with a non-empty table, without --resume: refused, naming the table;
#    the target rows are untouched.
setup_tgt "$T_NONEMPTY" "$TABLE_DDL INSERT INTO items VALUES (99999, 'already here', 1, 1);"
gw_fetch 2 "$SRC" "$T_NONEMPTY" --jobs 2 --schema existing
assert_contains "$ERR" "items"
assert_short_message "$ERR"
assert_eq "1|0" "$(psql_tgt "$T_NONEMPTY" "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM notes)" 2>&1)" "target rows after the refused fetch"
assert_no_slot "$SRC"
reset_stream "$SRC"

# 3. --schema create (the default) with an existing table whose column type differs: refused,
#    naming table and column; nothing changed.
setup_tgt "$T_DIFF" "CREATE TABLE public.items (id integer PRIMARY KEY, name text NOT NULL, qty text, price numeric(10,2));"
gw_fetch 2 "$SRC" "$T_DIFF" --jobs 2
assert_contains "$ERR" "items"
assert_contains "$ERR" "qty"
assert_short_message "$ERR"
assert_eq "items" "$(psql_tgt "$T_DIFF" "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'" 2>&1)" "tables on target after the refused fetch"
assert_no_slot "$SRC"
gw_fetch 2 "$SRC" "$T_DIFF" --jobs 2 --schema create
assert_contains "$ERR" "qty"
reset_stream "$SRC"

# 4. --schema drop-create replaces the differing table.
gw_fetch 0 "$SRC" "$T_DIFF" --jobs 2 --schema drop-create
assert_tables_equal "$SRC" "$T_DIFF" public.items id
assert_tables_equal "$SRC" "$T_DIFF" public.notes id
assert_eq "integer" "$(psql_tgt "$T_DIFF" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'qty'" 2>&1)" "type of items.qty after drop-create"
reset_stream "$SRC"

# 5. --schema create with an identical empty table already there: create what is missing, use it.
setup_tgt "$T_SAME" "CREATE TABLE public.items (id integer PRIMARY KEY, name text NOT NULL, qty integer, price numeric(10,2));"
gw_fetch 0 "$SRC" "$T_SAME" --jobs 2 --schema create
assert_tables_equal "$SRC" "$T_SAME" public.items id
assert_tables_equal "$SRC" "$T_SAME" public.notes id
reset_stream "$SRC"

# 6. A mode that does not exist.
gw_fetch 2 "$SRC" "$T_SAME" --schema replace
assert_contains "$ERR" "schema"

finish
