#!/usr/bin/env bash
# Partitioned tables and inheritance, PostgreSQL -> PostgreSQL, as applications have them:
# - "App Data"."Mesures é": monthly range partitions, one of them hash-subpartitioned, and a default
#   partition; an index on the parent, a serial key, a trigger on the parent that keeps a count per
#   region in another table of the phase; public.orders: list-partitioned by region with a default;
# - public.payment: an inheritance hierarchy (the pagila way): children with their own keys and a
#   CHECK, one child with an extra column and no key (REPLICA IDENTITY FULL), and an INSERT rule on the parent that
#   sends each new row to its month's child.
# After fetch: the target has the same partition trees (bounds, keys, nesting) and the same
# inheritance, checked by catalog queries on both sides; rows are equal per table (ONLY), through
# each parent, and in the same partitions; verify compares the partitions too.  Selections: a partition alone is refused, a partition of
# a selected table cannot be excluded, excluding a table leaves its partitions out with it.
# replicate under a workload that moves rows between partitions (and subpartitions), inserts through
# the rule and fires the trigger ends equal; cutover fences the partitioned tables; writes on the
# target (moving rows too) fail back exactly.  A drop-create refuses to drop a parent whose other
# child on the target it would take along.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_parts) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE SCHEMA "App Data";
CREATE TABLE "App Data"."Mesures é" (id bigserial, at date NOT NULL, region text NOT NULL, value numeric,
                                    PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE "App Data"."Mesures 2026-01" PARTITION OF "App Data"."Mesures é"
    FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE "App Data"."Mesures 2026-02" PARTITION OF "App Data"."Mesures é"
    FOR VALUES FROM ('2026-02-01') TO ('2026-03-01') PARTITION BY HASH (id);
CREATE TABLE "App Data"."Mesures 2026-02 h0" PARTITION OF "App Data"."Mesures 2026-02"
    FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE "App Data"."Mesures 2026-02 h1" PARTITION OF "App Data"."Mesures 2026-02"
    FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE "App Data"."Mesures 2026-03" PARTITION OF "App Data"."Mesures é"
    FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE "App Data"."Mesures autres" PARTITION OF "App Data"."Mesures é" DEFAULT;
CREATE INDEX "Mesures par région" ON "App Data"."Mesures é" (region, at);
CREATE TABLE "App Data".region_count (region text PRIMARY KEY, n bigint NOT NULL);
CREATE FUNCTION "App Data".count_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "App Data".region_count VALUES (NEW.region, 1)
        ON CONFLICT (region) DO UPDATE SET n = "App Data".region_count.n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER count_region AFTER INSERT ON "App Data"."Mesures é" FOR EACH ROW
    EXECUTE FUNCTION "App Data".count_region();

CREATE TABLE orders (id integer, region text NOT NULL, total numeric, PRIMARY KEY (id, region))
    PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('fr', 'de');
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
CREATE TABLE orders_rest PARTITION OF orders DEFAULT;
CREATE TABLE audit (id integer PRIMARY KEY, note text) PARTITION BY RANGE (id);
CREATE TABLE audit_1 PARTITION OF audit FOR VALUES FROM (0) TO (1000);

CREATE TABLE payment (payment_id serial PRIMARY KEY, amount numeric(5,2) NOT NULL, paid date NOT NULL);
CREATE TABLE payment_p2007_01 (CHECK (paid >= '2007-01-01' AND paid < '2007-02-01')) INHERITS (payment);
ALTER TABLE payment_p2007_01 ADD PRIMARY KEY (payment_id);
CREATE TABLE payment_p2007_02 (CHECK (paid >= '2007-02-01' AND paid < '2007-03-01')) INHERITS (payment);
ALTER TABLE payment_p2007_02 ADD PRIMARY KEY (payment_id);
-- No key: the operator gives it REPLICA IDENTITY FULL, as fetch's warning asks, so that the deletes
-- through the parent (which reach it) are streamed too.
CREATE TABLE "payment notes" (note text) INHERITS (payment);
ALTER TABLE "payment notes" REPLICA IDENTITY FULL;
CREATE RULE payment_insert_p2007_01 AS ON INSERT TO payment
    WHERE paid >= '2007-01-01' AND paid < '2007-02-01'
    DO INSTEAD INSERT INTO payment_p2007_01 VALUES (NEW.*);
CREATE RULE payment_insert_p2007_02 AS ON INSERT TO payment
    WHERE paid >= '2007-02-01' AND paid < '2007-03-01'
    DO INSTEAD INSERT INTO payment_p2007_02 VALUES (NEW.*);

INSERT INTO "App Data"."Mesures é" (at, region, value)
    SELECT date '2026-01-01' + (i % 120), (ARRAY['fr', 'de', 'us', 'jp'])[1 + i % 4], i / 7.0
    FROM generate_series(1, 40000) i;
INSERT INTO orders SELECT i, (ARRAY['fr', 'de', 'us', 'jp', 'br'])[1 + i % 5], i * 1.5 FROM generate_series(1, 500) i;
INSERT INTO payment (amount, paid) SELECT i % 100, date '2007-01-01' + (i % 59) FROM generate_series(1, 400) i;
INSERT INTO payment (amount, paid) VALUES (1, '2006-12-31'), (2, '2007-06-01');
INSERT INTO "payment notes" (amount, paid, note) SELECT i, '2008-01-01', 'note ' || i FROM generate_series(1, 30) i;
ANALYZE;
SQL
MES='"App Data"."Mesures é"'

# Each partition tree and inheritance link: name, parent, bound and key, from the catalog.
trees() {   # SIDE
    "psql_$1" "$DB" "SELECT string_agg(format('%s <- %s %s %s', c.oid::regclass, i.inhparent::regclass,
            coalesce(pg_get_expr(c.relpartbound, c.oid), 'INHERITS'), coalesce(pg_get_partkeydef(c.oid), '')),
            E'\\n' ORDER BY c.oid::regclass::text)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind IN ('r', 'p')"
}
# The rows of a table with the partition each one is in.
placed() {  # SIDE TABLE ORDERCOLS
    "psql_$1" "$DB" "SELECT md5(string_agg(t::text || ' in ' || t.tableoid::regclass::text, ',' ORDER BY $3))
        || ' ' || count(*) FROM $2 t"
}
assert_placed_equal() { # TABLE ORDERCOLS
    assert_eq "$(placed src "$1" "$2")" "$(placed tgt "$1" "$2")" "rows of $1 and their partitions"
}
all_equal() {
    assert_placed_equal "$MES" "t.id, t.at"
    assert_placed_equal orders "t.id, t.region"
    assert_placed_equal audit "t.id"
    assert_tables_equal "$DB" "$DB" '"App Data".region_count' t.region
    # Through each parent, and each table on its own.
    assert_placed_equal payment "t.payment_id, t.amount"
    for tbl in payment payment_p2007_01 payment_p2007_02 '"payment notes"'; do
        assert_eq "$(table_digest src "$DB" "ONLY $tbl" "t.payment_id, t.amount")" \
            "$(table_digest tgt "$DB" "ONLY $tbl" "t.payment_id, t.amount")" "rows of ONLY $tbl"
    done
}

# Selections: the parent decides for its partitions.
gw_fetch 2 "$DB" "$DB" --phase bad --tables 'public.orders_eu' --no-stream
assert_contains "$ERR" "public.orders_eu is a partition of public.orders: select public.orders"
gw_fetch 2 "$DB" "$DB" --phase bad --tables 'public.orders' --exclude public.orders_us --no-stream
assert_contains "$ERR" "a partition cannot be left out"
assert_eq 0 "$(user_tables tgt "$DB")" "tables on the target after refusals"
gw_fetch 0 "$DB" "$DB" --phase few --exclude 'public.orders,public.audit' --no-stream
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_class WHERE relname LIKE 'orders%' OR relname LIKE 'audit%'")" \
    "tables of an excluded partitioned table on the target"
assert_not_contains "$OUT" "orders"
psql_tgt "$DB" "DROP SCHEMA \"App Data\" CASCADE; DROP TABLE payment CASCADE; DROP SCHEMA _godwit CASCADE" >/dev/null

gw_fetch 0 "$DB" "$DB" --phase p --shard-size 1 || abort_test "fetch"
assert_eq "$(trees src)" "$(trees tgt)" "partition trees and inheritance"
assert_eq "$(psql_src "$DB" "SELECT pg_get_indexdef('\"App Data\".\"Mesures par région\"'::regclass)")" \
    "$(psql_tgt "$DB" "SELECT pg_get_indexdef('\"App Data\".\"Mesures par région\"'::regclass)")" "the parent's index"
assert_eq 5 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_partition_tree('\"App Data\".\"Mesures par région\"'::regclass)
    WHERE isleaf")" "the index on each leaf"
all_equal

# verify compares the partitions themselves: one the target has more is a difference.
setup_tgt "$DB" "CREATE TABLE orders_zz PARTITION OF orders FOR VALUES IN ('zz')"
assert_exit 1 "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p
assert_contains "$OUT" "partition public.orders_zz (FOR VALUES IN ('zz')) extra on target"
setup_tgt "$DB" "DROP TABLE orders_zz"
assert_exit 0 "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p

# A drop-create would drop the parent and, with it, a child the operator made on the target.
setup_tgt "$DB" "CREATE TABLE payment_extra () INHERITS (payment)"
gw_fetch 2 "$DB" "$DB" --phase p --schema drop-create
assert_contains "$ERR" "target table public.payment has table public.payment_extra inheriting from it"
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'payment_extra'")" "the child, kept"
setup_tgt "$DB" "DROP TABLE payment_extra"

# The application on the source while replicate runs: rows move between months, subpartitions
# and the default partition; inserts go through the rule and fire the trigger.
bg_replicate REP "$DB" "$DB" --phase p
setup_src "$DB" - <<SQL
UPDATE $MES SET at = at + 31 WHERE id % 10 = 0;
UPDATE $MES SET at = '2027-01-01' WHERE id % 97 = 0;
UPDATE $MES SET value = -value WHERE region = 'jp';
DELETE FROM $MES WHERE id % 13 = 0;
INSERT INTO $MES (at, region, value) SELECT date '2026-02-01' + (i % 40), 'fr', i FROM generate_series(1, 300) i;
UPDATE orders SET region = 'us' WHERE id % 7 = 0 AND region <> 'us';
UPDATE orders SET region = 'xx' WHERE id % 11 = 0;
DELETE FROM orders WHERE id % 17 = 0;
INSERT INTO audit VALUES (1, 'one'), (2, 'two');
UPDATE audit SET note = 'uno' WHERE id = 1;
INSERT INTO payment (amount, paid) SELECT i, date '2007-01-15' + i FROM generate_series(1, 40) i;
UPDATE payment SET amount = amount + 1 WHERE payment_id % 5 = 0;
DELETE FROM payment WHERE payment_id % 23 = 0;
INSERT INTO "payment notes" (amount, paid, note) VALUES (5, '2008-02-02', 'late');
SQL
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p --fence \
    --verify full
wait_exit "$REP" 60
assert_eq 0 "$RC" "replicate's exit at the cutover"
all_equal

# The fence holds on the partitioned tables and the inheritance parent.
for stmt in "INSERT INTO $MES (at, region) VALUES ('2026-01-02', 'fr')" "UPDATE orders SET total = 0" \
    "DELETE FROM payment_p2007_02"; do
    if psql_src "$DB" "$stmt" >"$GW_OUT/fenced.out" 2>&1; then fail "source accepted after cutover: $stmt"; fi
    assert_contains "$GW_OUT/fenced.out" "is fenced"
done

# The application on the target; failback brings it to the source.
setup_tgt "$DB" - <<SQL
UPDATE $MES SET at = at - 31 WHERE id % 10 = 1 AND at >= '2026-02-01';
INSERT INTO $MES (at, region, value) VALUES ('2026-03-03', 'de', 42), ('2030-01-01', 'us', 43);
UPDATE orders SET region = 'fr' WHERE id % 9 = 0;
INSERT INTO payment (amount, paid) VALUES (77, '2007-02-14');
DELETE FROM payment_p2007_01 WHERE payment_id % 29 = 0;
SQL
assert_exit 0 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p \
    --stop-when-caught-up
all_equal
finish
