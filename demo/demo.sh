#!/usr/bin/env bash
# demo/demo.sh: a real migration on throwaway local servers, in under a minute.
#
# Starts a source and a target PostgreSQL 15, fills the source with a small shop
# (customers and orders in four regions, with an enum, JSON, a sequence and a foreign key),
# runs `godwit fetch`, then proves the result by independent SQL: per table, the md5 of
# every row in key order and the row count, on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
GODWIT=${GODWIT:-$PWD/build/godwit}
. tests/servers.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

say "starting a source and a target PostgreSQL 15 on loopback"
pg_server_start demo_src >/dev/null
pg_server_start demo_tgt >/dev/null
SRC=$(pg_url demo_src shop)
TGT=$(pg_url demo_tgt shop)
q "$(pg_url demo_src postgres)" -c "CREATE DATABASE shop"
q "$(pg_url demo_tgt postgres)" -c "CREATE DATABASE shop"
echo "source $SRC"
echo "target $TGT"

say "creating the sample shop on the source (4 regions, 200k orders)"
q "$SRC" <<'SQL'
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    region char(1) NOT NULL,
    name text NOT NULL,
    email text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    region char(1) NOT NULL,
    status order_status NOT NULL DEFAULT 'new',
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    items jsonb NOT NULL,
    placed_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_region_status_idx ON orders (region, status);
INSERT INTO customers (region, name, email, created_at)
SELECT chr(65 + i % 4), 'Customer ' || i, 'c' || i || '@example.com', timestamptz '2024-01-01' + i * interval '1 minute'
FROM generate_series(1, 20000) i;
INSERT INTO orders (customer_id, region, status, amount, items, placed_at)
SELECT c, chr(65 + c % 4), (ARRAY['new','paid','shipped','cancelled']::order_status[])[1 + i % 4],
       round((i % 50000)::numeric / 7, 2),
       jsonb_build_object('sku', 'SKU-' || (i % 977), 'qty', 1 + i % 5, 'note', E'multi\nline \u00e9'),
       timestamptz '2024-06-01' + i * interval '7 seconds'
FROM generate_series(1, 200000) i, LATERAL (SELECT 1 + i % 20000 AS c) cc;
ANALYZE;
SQL
q "$SRC" -c "SELECT region, count(*) AS orders FROM orders GROUP BY region ORDER BY region" -F ' ' | sed 's/^/  region /'

say "godwit fetch: snapshot + slot, parallel COPY, then keys, indexes, foreign keys, sequences"
echo "\$ godwit fetch --source $SRC --target $TGT --jobs 2"
"$GODWIT" fetch --source "$SRC" --target "$TGT" --jobs 2

say "independent check: md5 of every row in key order, and counts, on both sides"
fail=0
for t in customers orders; do
    digest="SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) || ' ' || count(*) FROM public.$t t"
    s=$(q "$SRC" -c "$digest")
    d=$(q "$TGT" -c "$digest")
    if [ "$s" = "$d" ]; then verdict=equal; else verdict=DIFFERENT; fail=1; fi
    printf '  %-10s source %s\n  %-10s target %s  -> %s\n' "$t" "$s" "" "$d" "$verdict"
done
echo "  indexes on target: $(q "$TGT" -c "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'")"
echo "  next order id on target: $(q "$TGT" -c "SELECT nextval('orders_id_seq')") (source's last: $(q "$SRC" -c "SELECT last_value FROM orders_id_seq"))"
echo "  replication slot on source: $(q "$SRC" -c "SELECT slot_name || ' at ' || confirmed_flush_lsn FROM pg_replication_slots")"
echo "  phase state on target: $(q "$TGT" -c "SELECT name || ' ' || status || ', stream starts at ' || snapshot_position FROM _godwit.phases")"

say "a phase: region A only, into its own target database, with its own slot"
q "$(pg_url demo_tgt postgres)" -c "CREATE DATABASE shop_a"
TGT_A=$(pg_url demo_tgt shop_a)
echo "\$ godwit fetch --phase region_a --where \"public.customers: region = 'A'\" --where \"public.orders: region = 'A'\" ..."
"$GODWIT" fetch --source "$SRC" --target "$TGT_A" --jobs 2 --phase region_a \
    --where "public.customers: region = 'A'" --where "public.orders: region = 'A'"
for t in customers orders; do
    s=$(q "$SRC" -c "SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) || ' ' || count(*) FROM public.$t t WHERE region = 'A'")
    d=$(q "$TGT_A" -c "SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) || ' ' || count(*) FROM public.$t t")
    if [ "$s" = "$d" ]; then verdict=equal; else verdict=DIFFERENT; fail=1; fi
    printf '  %-10s source (region A) %s\n  %-10s target            %s  -> %s\n' "$t" "$s" "" "$d" "$verdict"
done
echo "  slots on source: $(q "$SRC" -c "SELECT string_agg(slot_name, ', ' ORDER BY slot_name) FROM pg_replication_slots")"

if [ "$fail" = 0 ]; then
    say "demo complete: the target holds exactly the source's rows"
else
    say "demo FAILED: the target differs from the source"
    exit 1
fi
