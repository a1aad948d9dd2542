#!/usr/bin/env bash
# MariaDB -> PostgreSQL, sharded parallel copy: --jobs 3 with small shards splits a 150k-row table
# with an integer key (MIN/MAX arithmetic), a 100k-row table with a composite text+integer key and a
# table with a binary key (key walks), copies the shards in parallel inside one snapshot, and ends
# with every row equal (digests computed independently on both sides) and every shard recorded once.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_shards) || abort_test "create databases"
register_mdbs "$DB"

setup_m "$DB" - <<'SQL'
CREATE TABLE big (id bigint PRIMARY KEY, k varchar(40) NOT NULL, pad varchar(200), n double, d datetime(3));
INSERT INTO big SELECT CAST(seq AS SIGNED) * 7 - 500000, MD5(seq), REPEAT(CHAR(65 + seq % 26), 100 + seq % 50), seq / 7,
    '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_150000;
CREATE TABLE comp (a varchar(20), b int, v text, PRIMARY KEY (a, b));
INSERT INTO comp SELECT CONCAT('k', seq % 997), seq, REPEAT('v', 100 + seq % 100) FROM seq_1_to_100000;
CREATE TABLE bin (h binary(16) PRIMARY KEY, v int);
INSERT INTO bin SELECT UNHEX(MD5(seq)), seq FROM seq_1_to_60000;
ANALYZE TABLE big, comp, bin;
SQL

gw_mfetch 0 "$DB" "$DB" --jobs 3 --shard-size 1 --no-stream
assert_digests_equal "$DB" "$DB" big gw_my_shards.big "id, k, pad"
assert_digests_equal "$DB" "$DB" comp gw_my_shards.comp "a, b, v"
assert_digests_equal "$DB" "$DB" bin gw_my_shards.bin "v"
a=$(msql "$DB" "SELECT SUM(CAST(CONV(LEFT(MD5(CONCAT(LOWER(HEX(h)), '|', v)), 8), 16, 10) AS UNSIGNED)) FROM bin")
b=$(psql_tgt "$DB" "SELECT sum(('x' || left(md5(encode(h, 'hex') || '|' || v), 8))::bit(32)::bigint) FROM gw_my_shards.bin")
assert_eq "$a" "$b" "binary keys of bin"
for t in big comp bin; do
    n=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = '$t' AND done")
    total=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = '$t'")
    assert_ge 3 "$n" "done shards of $t"
    assert_eq "$total" "$n" "every shard of $t done"
    rows=$(psql_tgt "$DB" "SELECT sum(rows) FROM _godwit.fetch_progress WHERE table_name = '$t'")
    assert_eq "$(msql "$DB" "SELECT COUNT(*) FROM $t")" "$rows" "rows recorded for the shards of $t"
done
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_indexes WHERE schemaname = 'gw_my_shards' AND indexname IN ('big_pkey', 'comp_pkey')")" "primary keys built"
finish
