#!/usr/bin/env bash
# Larger tables with --jobs 2: an integer primary key (300k rows), a composite (text, int) primary
# key, one whose text key has an ICU collation (key ranges must follow the server's order, not
# byte order), and a table without primary key (duplicate rows; copied, with a REPLICA IDENTITY
# warning).  Run twice: default shard size, then --shard-size 1 (MB) so that every table with a
# key is split into many key ranges.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_big) || abort_test "createdb"
T2=$(new_dbs gw_big_shards) || abort_test "createdb"
register_dbs "$DB" "$T2"

setup_src "$DB" - <<'SQL'
CREATE TABLE big_int (id integer PRIMARY KEY, grp integer NOT NULL, payload text, amount numeric(14,4), ts timestamptz);
INSERT INTO big_int
    SELECT i, i % 1000, md5(i::text) || repeat('p', i % 40), i * 1.0001, '2020-01-01 00:00+00'::timestamptz + i * interval '1 second'
    FROM generate_series(1, 300000) i;
-- holes and negative keys, so that key ranges are not dense
DELETE FROM big_int WHERE id % 1000 BETWEEN 100 AND 199;
INSERT INTO big_int SELECT -i, 0, NULL, NULL, NULL FROM generate_series(1, 5000) i;
INSERT INTO big_int VALUES (2147483647, 1, 'max', 0, NULL), (-2147483648, 2, 'min', 0, NULL);
CREATE INDEX big_int_grp_idx ON big_int (grp);

CREATE TABLE big_composite (region text, seq integer, val text, PRIMARY KEY (region, seq));
INSERT INTO big_composite
    SELECT r, i, md5(r || i)
    FROM unnest(ARRAY['eu-west', 'us-east', 'ap ''south''', 'Ü', '', 'z,z']) r, generate_series(1, 25000) i;

CREATE TABLE big_icu (name text COLLATE "en-x-icu", n integer, v text, PRIMARY KEY (name, n));
INSERT INTO big_icu
    SELECT w || CASE WHEN i % 3 = 0 THEN '' ELSE ' ' || (i % 97) END, i, md5(i::text)
    FROM unnest(ARRAY['a', 'B', 'b', 'Ü', 'u', 'U', 'é', 'e', 'E', 'z', 'Z', 'ä', 'Ab', 'aB', 'a-b', 'a b', '1', '_x']) w,
         generate_series(1, 8000) i;

CREATE TABLE big_empty (id bigint PRIMARY KEY, v text);
CREATE TABLE big_one (id bigint PRIMARY KEY, v text);
INSERT INTO big_one VALUES (42, repeat('o', 3000000));

CREATE TABLE big_nopk (a integer, b text);
INSERT INTO big_nopk SELECT i % 5000, 'dup' || (i % 5000) FROM generate_series(1, 60000) i;
INSERT INTO big_nopk SELECT NULL, NULL FROM generate_series(1, 10);
ANALYZE;
SQL

gw_fetch 0 "$DB" "$DB" --jobs 2 || abort_test "fetch failed"
warn=$(grep -i "replica identity" "$ERR")
[ -n "$warn" ] || fail "no warning mentioning REPLICA IDENTITY on stderr for the table without primary key"
[ -n "$warn" ] && { grep -q big_nopk <<<"$warn" || fail "the REPLICA IDENTITY warning does not name big_nopk: $warn"; }
grep -qE 'big_int|big_composite' <<<"$warn" && fail "REPLICA IDENTITY warning for a table with a primary key: $warn"

assert_tables_equal "$DB" "$DB" public.big_int id
assert_tables_equal "$DB" "$DB" public.big_composite "region, seq"
assert_tables_equal "$DB" "$DB" public.big_nopk "t::text"
assert_tables_equal "$DB" "$DB" public.big_icu "name, n"
assert_tables_equal "$DB" "$DB" public.big_empty id
assert_tables_equal "$DB" "$DB" public.big_one id
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_int_grp_idx'" 2>&1)" "secondary index big_int_grp_idx on target"
assert_eq "PRIMARY KEY (region, seq)" "$(psql_tgt "$DB" "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'big_composite'::regclass AND contype = 'p'" 2>&1)" "composite primary key on target"
# Every shard recorded as progress on the target names a table of the fetch.
n=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress" 2>&1)
assert_ge 3 "$n" "rows in _godwit.fetch_progress (one per table shard at least)"
note "fetch_progress: $(psql_tgt "$DB" "SELECT string_agg(row_to_json(p)::text, ' ') FROM _godwit.fetch_progress p" 2>&1 | head -c 1500)"

# Many small key ranges.
reset_stream "$DB"
gw_fetch 0 "$DB" "$T2" --jobs 2 --shard-size 1
if [ "$RC" = 0 ]; then
    assert_tables_equal "$DB" "$T2" public.big_int id
    assert_tables_equal "$DB" "$T2" public.big_composite "region, seq"
    assert_tables_equal "$DB" "$T2" public.big_icu "name, n"
    assert_tables_equal "$DB" "$T2" public.big_nopk "t::text"
    assert_tables_equal "$DB" "$T2" public.big_empty id
    assert_tables_equal "$DB" "$T2" public.big_one id
    for t in big_int big_composite big_icu; do
        n=$(psql_tgt "$T2" "SELECT count(*) FROM _godwit.fetch_progress p WHERE row_to_json(p)::text LIKE '%$t\"%'" 2>&1)
        assert_ge 3 "$n" "shards of $t with --shard-size 1 in _godwit.fetch_progress"
    done
fi

finish
