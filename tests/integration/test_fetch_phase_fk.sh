#!/usr/bin/env bash
# Phases fetched one after another into tables whose foreign keys already exist on the target (the
# first phase created them): a child table sharded in parallel with its parent, and a table that
# references itself with children in lower key ranges than their parents, must load whatever order
# the shards commit in.  Each phase's rows then equal the source's by independent SQL, and every
# foreign key on the target is valid.  A phase whose rows reference a row of a phase not loaded yet
# still loads, with a warning that names the table and the key; once that phase is loaded, no row
# on the target violates a foreign key.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_phase_fk) || abort_test "createdb"
register_dbs "$DB"

# Customers are wide (many shards), orders narrow: an orders shard commits long before the last
# customers shard of its region.  In "Tree Node", a parent's id is always above its children's.
setup_src "$DB" - <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL, name text, pad text);
CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL,
                     customer_id int REFERENCES customers (id), amount numeric(10, 2));
CREATE TABLE "Tree Node" (id int PRIMARY KEY, region text NOT NULL,
                          "Parent" int CONSTRAINT "tree parent" REFERENCES "Tree Node" (id));
INSERT INTO customers SELECT i, (ARRAY['A', 'B', 'C'])[1 + i % 3], 'c' || i, repeat(md5(i::text), 40)
    FROM generate_series(1, 30000) i;
INSERT INTO orders SELECT i, c.region, c.id, i % 1000
    FROM generate_series(1, 30000) i JOIN customers c ON c.id = 1 + (i * 7919) % 30000;
-- One order of region B whose customer is in region C (loaded after B).
INSERT INTO orders VALUES (30001, 'B', 2, 1);
ALTER TABLE "Tree Node" ADD COLUMN pad text;
INSERT INTO "Tree Node" SELECT i, (ARRAY['A', 'B', 'C'])[1 + i % 3],
    CASE WHEN i + 600 <= 30000 THEN i + 600 END, repeat(md5(i::text), 20) FROM generate_series(30000, 1, -1) i;
SQL

PLAN=$GW_OUT/plan.json
cat >"$PLAN" <<'JSON'
{"phases": [
  {"name": "fk_a", "tables": ["public.*"], "where": {"public.customers": "region = 'A'", "public.orders": "region = 'A'",
             "public.\"Tree Node\"": "region = 'A'"}},
  {"name": "fk_b", "tables": ["public.*"], "where": {"public.customers": "region = 'B'", "public.orders": "region = 'B'",
             "public.\"Tree Node\"": "region = 'B'"}},
  {"name": "fk_c", "tables": ["public.*"], "where": {"public.customers": "region = 'C'", "public.orders": "region = 'C'",
             "public.\"Tree Node\"": "region = 'C'"}}
]}
JSON

fk_violations() {   # rows on the target that reference no row, over every foreign key
    psql_tgt "$DB" "SELECT (SELECT count(*) FROM orders o WHERE o.customer_id IS NOT NULL
                              AND NOT EXISTS (SELECT FROM customers c WHERE c.id = o.customer_id))
                         + (SELECT count(*) FROM \"Tree Node\" t WHERE t.\"Parent\" IS NOT NULL
                              AND NOT EXISTS (SELECT FROM \"Tree Node\" p WHERE p.id = t.\"Parent\"))"
}
assert_phase_equal() {   # REGION...
    local r list=""
    for r in "$@"; do list+="${list:+, }'$r'"; done
    assert_tables_equal "$DB" "$DB" customers "t.id" "region IN ($list)"
    assert_tables_equal "$DB" "$DB" orders "t.id" "region IN ($list)"
    assert_tables_equal "$DB" "$DB" '"Tree Node"' "t.id" "region IN ($list)"
}

gw_fetch 0 "$DB" "$DB" --plan "$PLAN" --phase fk_a --no-stream --jobs 4 --shard-size 1 || abort_test "fetch fk_a"
assert_phase_equal A
note "foreign keys on the target: $(psql_tgt "$DB" "SELECT string_agg(conname || ' ' || convalidated, ', ') FROM pg_constraint WHERE contype = 'f'")"
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated")" \
    "valid foreign keys after the first phase (its rows hold)"

# The foreign keys exist now; the next phases load into them.
gw_fetch 0 "$DB" "$DB" --plan "$PLAN" --phase fk_b --no-stream --jobs 4 --shard-size 1 || abort_test "fetch fk_b"
assert_phase_equal A B
assert_contains "$ERR" "orders" "the warning names the child table"
assert_contains "$ERR" "orders_customer_id_fkey" "the warning names the foreign key"
assert_contains "$ERR" "(2)" "the warning shows the key with no row"
assert_eq 1 "$(fk_violations)" "the one order whose customer is in a later phase"

gw_fetch 0 "$DB" "$DB" --plan "$PLAN" --phase fk_c --no-stream --jobs 4 --shard-size 1 || abort_test "fetch fk_c"
assert_not_contains "$ERR" "violate" "no foreign key warning once every referenced row is loaded"
assert_phase_equal A B C
assert_eq 0 "$(fk_violations)" "rows that reference no row, after every phase"
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated")" \
    "foreign keys on the target, all still valid"
# The keys still hold against new writes.
if psql_tgt "$DB" "INSERT INTO orders VALUES (99999, 'A', 424242, 1)" >/dev/null 2>&1; then
    fail "an order with no customer was accepted on the target"
fi
finish
