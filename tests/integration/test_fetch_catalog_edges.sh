#!/usr/bin/env bash
# Source catalogs that issue 2 does not name but production databases have.  For each, fetch must
# either copy it exactly or refuse it up front with exit 2 and a message naming the table, with
# nothing created on the target: never exit 0 with wrong data, never a raw failure half-way.
#   - a stored generated column (COPY cannot write it; its values must still come out equal)
#   - a partitioned table (COPY cannot read the parent; the rows live in the partitions)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

G=$(new_dbs gw_edge_gen) || abort_test "createdb"
P=$(new_dbs gw_edge_part) || abort_test "createdb"
register_dbs "$G" "$P"

# exact_or_refused DB TABLE ORDER WHAT: judges the last fetch.
exact_or_refused() {
    local db=$1 tbl=$2 ord=$3 what=$4
    case $RC in
        0)  assert_tables_equal "$db" "$db" "$tbl" "$ord" ;;
        2)  assert_contains "$ERR" "${tbl#*.}"
            assert_short_message "$ERR"
            assert_no_user_tables "$db"
            note "$what: refused with exit 2: $(_gw_first_lines "$ERR")" ;;
        *)  fail "$what: expected exit 0 (copied exactly) or 2 (refused, naming $tbl), got $RC: $(_gw_first_lines "$ERR")" ;;
    esac
}

setup_src "$G" "CREATE TABLE items (id int PRIMARY KEY, price numeric(10,2) NOT NULL, qty int NOT NULL,
                     total numeric GENERATED ALWAYS AS (price * qty) STORED, note text);
    INSERT INTO items (id, price, qty, note) SELECT i, i * 0.25, i % 7, 'n' || i FROM generate_series(1, 2000) i;"
gw_fetch any "$G" "$G" --jobs 2
exact_or_refused "$G" public.items id "stored generated column"
if [ "$RC" = 0 ]; then
    gen=$(psql_tgt "$G" "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'total'" 2>&1)
    assert_eq s "$gen" "items.total is still a stored generated column on the target"
    r=$(psql_tgt "$G" "BEGIN; INSERT INTO items (id, price, qty) VALUES (99999, 2, 3) RETURNING total; ROLLBACK;" 2>&1)
    assert_eq 6.00 "$r" "generated column computed on the target for a new row"
fi

setup_src "$P" "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE events_other PARTITION OF events DEFAULT;
    INSERT INTO events SELECT i, date '2023-01-01' + (i % 900), 'e' || i FROM generate_series(1, 5000) i;"
gw_fetch any "$P" "$P" --jobs 2
exact_or_refused "$P" public.events "id, at" "partitioned table"
if [ "$RC" = 0 ]; then
    for part in events_2023 events_2024 events_other; do
        assert_tables_equal "$P" "$P" "public.$part" "id, at"
    done
    assert_eq p "$(psql_tgt "$P" "SELECT relkind FROM pg_class WHERE oid = 'public.events'::regclass" 2>&1)" "events is partitioned on the target"
    rows=$(psql_tgt "$P" "SELECT count(*) FROM ONLY public.events" 2>&1)
    assert_eq 0 "$rows" "no rows stored in the partitioned parent itself"
fi

finish
