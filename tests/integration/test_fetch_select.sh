#!/usr/bin/env bash
# Table selection (--tables, --exclude) and row predicates (--where), and their errors.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_sel) || abort_test "createdb"
T1=$(new_dbs gw_sel_t1) || abort_test "createdb"
T2=$(new_dbs gw_sel_t2) || abort_test "createdb"
TE=$(new_dbs gw_sel_err) || abort_test "createdb"
register_dbs "$SRC" "$T1" "$T2" "$TE"

setup_src "$SRC" - <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, region text, amount numeric(10,2), note text, flag boolean);
CREATE TABLE public.customers (id int PRIMARY KEY, name text);
CREATE TABLE public.audit_log (id int PRIMARY KEY, msg text);
CREATE TABLE public.audit_archive (id int PRIMARY KEY, msg text);
CREATE SCHEMA app;
CREATE TABLE app.settings (k text PRIMARY KEY, v text);
CREATE TABLE app.secrets (k text PRIMARY KEY, v text);
CREATE SCHEMA other;
CREATE TABLE other.orders (id int PRIMARY KEY);
INSERT INTO public.orders
    SELECT i, (ARRAY['A', 'B', 'C', NULL])[1 + i % 4], (i % 50) + 0.5,
           CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END, i % 3 = 0
    FROM generate_series(1, 2000) i;
INSERT INTO public.customers SELECT i, 'c' || i FROM generate_series(1, 100) i;
INSERT INTO public.audit_log SELECT i, 'm' || i FROM generate_series(1, 100) i;
INSERT INTO public.audit_archive SELECT i, 'a' || i FROM generate_series(1, 100) i;
INSERT INTO app.settings VALUES ('a', '1'), ('it''s', 'quoted');
INSERT INTO app.secrets VALUES ('pw', 'x');
INSERT INTO other.orders VALUES (1);
SQL

tables_on_target() {
    psql_tgt "$1" "SELECT coalesce(string_agg(schemaname || '.' || tablename, ',' ORDER BY schemaname, tablename), '')
                   FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', '_godwit')" 2>&1
}

# 1. --tables globs, --exclude, and a simple --where.
gw_fetch 0 "$SRC" "$T1" --jobs 2 --tables 'public.*,app.settings' --exclude 'public.audit*' \
    --where "public.orders: region = 'A'" --where "app.settings: k = 'it''s' OR v IS NULL"
if [ "$RC" = 0 ]; then
    assert_eq "app.settings,public.customers,public.orders" "$(tables_on_target "$T1")" "tables on target after --tables 'public.*,app.settings' --exclude 'public.audit*'"
    assert_tables_equal "$SRC" "$T1" public.orders id "region = 'A'"
    assert_eq 500 "$(psql_tgt "$T1" "SELECT count(*) FROM public.orders")" "rows of orders with region = 'A'"
    assert_tables_equal "$SRC" "$T1" public.customers id
    assert_tables_equal "$SRC" "$T1" app.settings k "k = 'it''s' OR v IS NULL"
    assert_eq "it's|quoted" "$(psql_tgt "$T1" "SELECT k, v FROM app.settings")" "app.settings rows for k = 'it''s'"
    pubtables=$(psql_src "$SRC" "SELECT string_agg(DISTINCT schemaname || '.' || tablename, ',' ORDER BY schemaname || '.' || tablename) FROM pg_publication_tables")
    assert_eq "app.settings,public.customers,public.orders" "$pubtables" "the publication covers exactly the selected tables"
fi
reset_stream "$SRC"

# 2. The whole predicate language: AND, OR, NOT, parentheses, IN, IS [NOT] NULL, comparisons,
#    string, number and boolean literals; two --where options; a named phase.
pred="(region IN ('A', 'B') AND amount >= 10.5 AND NOT (id > 1900)) OR (note IS NULL AND flag = TRUE) OR region IS NULL AND id <= 8"
gw_fetch 0 "$SRC" "$T2" --jobs 2 --phase sel_two --tables 'public.orders,public.customers' \
    --where "public.orders: $pred" --where "public.customers: id <> 5 AND name <> 'c7' AND id < 50"
if [ "$RC" = 0 ]; then
    assert_tables_equal "$SRC" "$T2" public.orders id "$pred"
    assert_tables_equal "$SRC" "$T2" public.customers id "id <> 5 AND name <> 'c7' AND id < 50"
    assert_eq "public.customers,public.orders" "$(tables_on_target "$T2")" "tables on target"
    assert_eq "$(slot_name "$T2" sel_two)" "$(psql_src postgres "SELECT string_agg(slot_name, ',') FROM pg_replication_slots WHERE database = '$SRC'")" "slot of phase sel_two"
    assert_contains_re <(psql_tgt "$T2" "SELECT row_to_json(p)::text FROM _godwit.phases p" 2>&1) '"sel_two"'
fi
reset_stream "$SRC"

# 3. Errors: exit 2, a message naming the problem, nothing created on the target, no slot left.
gw_fetch 2 "$SRC" "$TE" --tables 'public.orders,public.nosuch_table'
assert_contains "$ERR" "nosuch_table"
assert_short_message "$ERR"

gw_fetch 2 "$SRC" "$TE" --where "public.orders: region = = 'A'"
assert_contains_re "$ERR" "predicate|syntax|parse|expected"
assert_short_message "$ERR"

gw_fetch 2 "$SRC" "$TE" --where "public.orders: region = 'A' AND (amount > 1"
assert_contains_re "$ERR" "predicate|syntax|parse|expected|parenthes"

gw_fetch 2 "$SRC" "$TE" --where "public.orders region = 'A'"
assert_contains_re "$ERR" "where|predicate|syntax|table"

gw_fetch 2 "$SRC" "$TE" --where "public.orders: no_such_column = 1"
assert_contains "$ERR" "no_such_column"
assert_short_message "$ERR"

# A predicate for a table that does not exist (a typo would otherwise copy the table unfiltered).
gw_fetch 2 "$SRC" "$TE" --where "public.ordrs: region = 'A'"
assert_contains "$ERR" "ordrs"

assert_no_user_tables "$TE"
assert_no_slot "$SRC"

finish
