#!/usr/bin/env bash
# --schema drop-create only ever removes rows the phase owns.  Phases a and b share table orders by a
# row filter (b also has a table of its own, b_only); a is cut over and the application writes a's
# rows on the target.  Then:
# - drop-create of a phase with no row filter on orders (it would take every row, a's too): refused,
#   naming phase a, nothing changed;
# - drop-create of b with a filter that would also take a's rows: refused, naming phase a;
# - drop-create of b: orders is kept (same table), a's rows (the target's writes too) are untouched,
#   only b's are deleted and loaded again from the source; b_only, which no other phase holds, is
#   dropped and made again; a is still cut over.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_dc_shared) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE orders (id integer PRIMARY KEY, region text NOT NULL, note text);
CREATE TABLE b_only (id integer PRIMARY KEY, v text);
INSERT INTO orders SELECT i, (ARRAY['A', 'B'])[1 + i % 2], 'o' || i FROM generate_series(1, 2000) i;
INSERT INTO b_only SELECT i, 'v' || i FROM generate_series(1, 100) i;
SQL

A_ARGS=(--phase a --tables public.orders --where "public.orders: region = 'A'")
B_ARGS=(--phase b --tables 'public.orders,public.b_only' --where "public.orders: region = 'B'")
gw_fetch 0 "$DB" "$DB" "${A_ARGS[@]}" || abort_test "fetch of a"
gw_fetch 0 "$DB" "$DB" "${B_ARGS[@]}" || abort_test "fetch of b"

# a is cut over; the application then writes a's rows on the target.
bg_replicate R "$DB" "$DB" --phase a
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase a --fence --verify none \
    || abort_test "cutover of a"
wait_exit "$R" 30
setup_tgt "$DB" "INSERT INTO orders VALUES (100001, 'A', 'written on the target after the cutover');
                 UPDATE orders SET note = 'updated on the target' WHERE region = 'A' AND id <= 100;"
A_STATUS=$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'a'")
A_ROWS=$(table_digest tgt "$DB" orders id "region = 'A'")
ORDERS_OID=$(psql_tgt "$DB" "SELECT 'public.orders'::regclass::oid")
B_ONLY_OID=$(psql_tgt "$DB" "SELECT 'public.b_only'::regclass::oid")
SLOTS=$(slots_of "$GW_SRC_SERVER" "$DB")
PUBS=$(psql_src "$DB" "SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication")
# b's rows change on the source, and a stale row of b is on the target: the reload must replace them.
setup_src "$DB" "UPDATE orders SET note = 'changed on the source' WHERE region = 'B' AND id <= 200;
                 INSERT INTO b_only VALUES (1001, 'new on the source');"
setup_tgt "$DB" "UPDATE orders SET note = 'stale' WHERE region = 'B' AND id > 1900;"

a_untouched() {
    GW_CONTEXT="$1"
    assert_eq "$A_ROWS" "$(table_digest tgt "$DB" orders id "region = 'A'")" "a's rows on the target (md5 count)"
    assert_eq "$ORDERS_OID" "$(psql_tgt "$DB" "SELECT 'public.orders'::regclass::oid")" "orders is the same table"
    assert_eq "$A_STATUS" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'a'")" "a's status"
    GW_CONTEXT=""
}

# A phase with no row filter on orders would own every row of it: refused, naming a.
gw_fetch 2 "$DB" "$DB" --phase c --tables public.orders --schema drop-create
assert_contains "$ERR" "'a'"
assert_contains "$ERR" "orders"
assert_short_message "$ERR"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.phases WHERE name = 'c'")" "phase row of the refused c"
assert_eq "$SLOTS" "$(slots_of "$GW_SRC_SERVER" "$DB")" "slots on the source after the refused drop-create of c"
assert_eq "$PUBS" "$(psql_src "$DB" "SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication")" \
    "publications on the source after the refused drop-create of c"
a_untouched "after the refused drop-create of c"

# b with a filter that takes a's rows too: refused, naming a; b's state is kept.
gw_fetch 2 "$DB" "$DB" --phase b --tables 'public.orders,public.b_only' --where "public.orders: region IN ('A', 'B')" \
    --schema drop-create
assert_contains "$ERR" "'a'"
assert_short_message "$ERR"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'b'")" "b's status after the refused drop-create"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM orders WHERE note = 'changed on the source'")" "b's rows not reloaded by the refused drop-create"
a_untouched "after the refused overlapping drop-create of b"

# The drop-create of b: only b's rows are replaced.
gw_fetch 0 "$DB" "$DB" "${B_ARGS[@]}" --schema drop-create
a_untouched "after the drop-create of b"
assert_eq "$(table_digest src "$DB" orders id "region = 'B'")" "$(table_digest tgt "$DB" orders id "region = 'B'")" \
    "b's rows of orders on both sides (md5 count)"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM orders WHERE note = 'stale'")" "stale rows of b left on the target"
assert_tables_equal "$DB" "$DB" public.b_only id
assert_ne "$B_ONLY_OID" "$(psql_tgt "$DB" "SELECT 'public.b_only'::regclass::oid")" "b_only (b's alone) was made again"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'b'")" "b's status"
finish
