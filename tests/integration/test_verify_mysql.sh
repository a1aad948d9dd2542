#!/usr/bin/env bash
# godwit verify, MariaDB -> PostgreSQL.  A table whose VARCHAR primary key is in a case-insensitive
# collation (utf8mb4_general_ci) holds mixed-case and accented keys, unique under that collation but
# ordered differently from PostgreSQL's byte order (and 200 more mixed-case keys, so that --jobs 2
# shards a text key); a table of DATETIME(6), TIMESTAMP, DECIMAL(10,2), DOUBLE, JSON (one written with
# other key order and whitespace), ENUM, SET, BIT(5), BLOB, TIME (negative too), YEAR, TINYINT UNSIGNED
# and BIGINT UNSIGNED, with an all-NULL row; TIME(6) at its limits (PostgreSQL's interval prints no zero
# fraction: compared by value); a SET written in another member order is the same set.  After fetch into PostgreSQL, verify exits 0.  Then on the
# PostgreSQL target: a changed text value in the CI-keyed table, the row with key 'B' deleted, a row
# with key 'b' (the same values as the source's 'B', differing only in the key's case) inserted, a
# changed JSON value.  verify exits 1 naming exactly those (keys compared byte for byte: 'B' missing,
# 'b' extra), in JSON and text (and by a --sample as big as the tables; a smaller one finds no
# difference before they are planted); --repair-sql, applied with psql, makes verify exit 0 again, and
# digests computed by each server show the rows equal.  An unknown table is exit 2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MDB=$(new_mdb gw_verify_my) || abort_test "create databases"
register_mdbs "$MDB"
DB=$MDB     # the target database; its schema gw_verify_my holds the tables

setup_m "$MDB" - <<'SQL'
SET SESSION time_zone = '+00:00';
CREATE TABLE ci (k VARCHAR(20) NOT NULL PRIMARY KEY, v VARCHAR(40), n INT)
    DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_general_ci;
INSERT INTO ci VALUES ('a', 'va', 1), ('B', 'vB', 2), ('c', 'vc', 3), ('Äpfel', 'vÄ', 4), ('b2', 'vb2', 5),
    ('Zed', 'vZed', 6), ('zed2', 'vzed2', 7), ('ñu', 'vñ', 8), ('Öl', 'vÖ', 9), ('x y', 'vxy', 10),
    ('Émile', 'vÉ', 11), ('_u', 'v_', 12), ('0', 'v0', 13);
INSERT INTO ci SELECT CONCAT(IF(seq % 2 = 0, 'K', 'k'), seq), CONCAT('gen ', seq), seq FROM seq_100_to_299;
CREATE TABLE typed (
    id INT PRIMARY KEY,
    dt6 DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, d2 DECIMAL(10,2), dbl DOUBLE, j JSON,
    e ENUM('red', 'green', 'blue'), s SET('x', 'y', 'z'), b5 BIT(5), bl BLOB, tm TIME, y YEAR,
    tiu TINYINT UNSIGNED, biu BIGINT UNSIGNED
) DEFAULT CHARSET = utf8mb4;
INSERT INTO typed SELECT i,
    '2024-01-01 00:00:00.123456' + INTERVAL i HOUR + INTERVAL i MICROSECOND,
    FROM_UNIXTIME(1700000000 + i * 3601),
    i * 1.25 - 50, i / 7e0,
    JSON_OBJECT('i', i, 'a', JSON_ARRAY(i, 'x', NULL), 's', CONCAT('v', i)),
    ELT(1 + i % 3, 'red', 'green', 'blue'), ELT(1 + i % 4, '', 'x', 'x,y', 'y,z'),
    i % 32, UNHEX(MD5(i)), SEC_TO_TIME(i * 100 - 2500), 1901 + i, 200 + i, 18446744073709551615 - i
FROM (SELECT CAST(seq AS SIGNED) AS i FROM seq_1_to_49) g;
UPDATE typed SET j = '{"s":   "v48",  "a": [48, "x", null],"i":48}', dbl = 0.1 WHERE id = 48;
UPDATE typed SET dbl = 1e308, tm = '-838:59:59', biu = 18446744073709551615, tiu = 255 WHERE id = 47;
INSERT INTO typed (id) VALUES (50);
CREATE TABLE padded (id INT PRIMARY KEY, c CHAR(10)) DEFAULT CHARSET = utf8mb4;
INSERT INTO padded VALUES (1, 'abc'), (2, ''), (3, NULL), (4, 'x y');
CREATE TABLE durations (id INT PRIMARY KEY, t6 TIME(6));
INSERT INTO durations VALUES (1, '-838:59:59.000000'), (2, '838:59:59.000000'), (3, '12:00:00.500000'),
    (4, '00:00:00'), (5, '-00:00:00.000001'), (6, NULL);
SQL
assert_eq 213 "$(msql "$MDB" "SELECT COUNT(*) FROM ci")" "rows of ci on MariaDB (keys unique under utf8mb4_general_ci)"




# assert_typed_equal WHAT: every column of typed, by SQL written independently on each side (NULL as
# <null>), equal on MariaDB and PostgreSQL.
assert_typed_equal() {
    local M_EXPR=(id "DATE_FORMAT(dt6, '%Y-%m-%d %H:%i:%s.%f')" "DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')" d2 dbl "JSON_COMPACT(j)" e s
        "LPAD(BIN(b5), 5, '0')" "LOWER(HEX(bl))" "TIME_TO_SEC(tm)" "y + 0" tiu biu)
    local P_EXPR=(id "to_char(dt6, 'YYYY-MM-DD HH24:MI:SS.US')" "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')" d2 dbl "j::text" "e::text"
        "array_to_string(s, ',')" "b5::text" "encode(bl, 'hex')" "extract(epoch FROM tm)" y tiu biu)
    local m_cols="" p_cols="" e
    for e in "${M_EXPR[@]}"; do m_cols+="${m_cols:+, }IFNULL($e, '<null>')"; done
    for e in "${P_EXPR[@]}"; do p_cols+="${p_cols:+, }coalesce(($e)::text, '<null>')"; done
    msql "$MDB" "SET time_zone = '+00:00'; SELECT $m_cols FROM typed ORDER BY id" >"$GW_OUT/m_typed" 2>&1 ||
        fail "MariaDB query: $(cat "$GW_OUT/m_typed")"
    psql_tgt "$DB" "SELECT concat_ws(E'\t', $p_cols) FROM gw_verify_my.typed ORDER BY id" >"$GW_OUT/p_typed" 2>&1 ||
        fail "PostgreSQL query: $(cat "$GW_OUT/p_typed")"
    assert_rows_equal "$1" "$GW_OUT/m_typed" "$GW_OUT/p_typed" "n,s,s,n,f,j,s,s,s,s,n,n,n,n"
}

# gw_verify CODE ARGS...: godwit verify from the MariaDB database into the target, asserting the exit code.
gw_verify() {
    local code=$1; shift
    assert_exit "$code" "$GODWIT" verify --source "$(m_url "$MDB")" --target "$(tgt_url "$DB")" "$@"
}

gw_mfetch 0 "$MDB" "$DB" --no-stream --jobs 2 || abort_test "fetch failed"
assert_digests_equal "$MDB" "$DB" ci gw_verify_my.ci "k, v, n"
assert_typed_equal "typed after fetch"

# ---- equal after fetch
EQUAL=$(spec equal <<'JSON'
{"equal": true, "tables": {"gw_verify_my.ci": {"rows": 213}, "gw_verify_my.typed": {"rows": 50},
                           "gw_verify_my.padded": {"rows": 4}, "gw_verify_my.durations": {"rows": 6}}}
JSON
)
gw_verify 0 --format json --jobs 2
check_report "verify --format json after fetch" "$OUT" "$EQUAL"
gw_verify 0
assert_contains_re "$OUT" '^gw_verify_my\.ci: 213 rows compared: equal$'
assert_contains_re "$OUT" '^gw_verify_my\.typed: 50 rows compared: equal$'
assert_contains_re "$OUT" '^gw_verify_my\.durations: 6 rows compared: equal$'
# --sample: windows from MariaDB's key split (an index walk for the case-insensitive text key, whose
# windows are paged in each side's own order and looked up by exact key on the other; MIN/MAX
# arithmetic for the integer key): no difference where there is none.
for n in 64 100; do
    gw_verify 0 --sample "$n" --jobs 2
    assert_contains_re "$OUT" '^gw_verify_my\.ci: [0-9]+ rows compared \(sample\): equal$'
    assert_contains_re "$OUT" '^gw_verify_my\.typed: [0-9]+ rows compared \(sample\): equal$'
done

# ---- a SET's members in another order (an application writing on the target): the same set
assert_eq "{x,y}" "$(psql_tgt "$DB" "SELECT s FROM gw_verify_my.typed WHERE id = 6")" "the set of id 6"
setup_tgt "$DB" "UPDATE gw_verify_my.typed SET s = ARRAY['y', 'x'] WHERE id = 6"
gw_verify 0 --tables gw_verify_my.typed
setup_tgt "$DB" "UPDATE gw_verify_my.typed SET s = ARRAY['x', 'y'] WHERE id = 6"

# ---- differences planted on the PostgreSQL target
setup_tgt "$DB" - <<'SQL'
UPDATE gw_verify_my.ci SET v = 'changed' WHERE k = 'Zed';
DELETE FROM gw_verify_my.ci WHERE k = 'B';
INSERT INTO gw_verify_my.ci (k, v, n) VALUES ('b', 'vB', 2);
UPDATE gw_verify_my.typed SET j = jsonb_set(j, '{s}', '"changed"') WHERE id = 7;
-- one changed value per other type, in distinct rows
UPDATE gw_verify_my.typed SET dt6 = dt6 + interval '1 microsecond' WHERE id = 10;
UPDATE gw_verify_my.typed SET ts = ts + interval '1 second' WHERE id = 11;
UPDATE gw_verify_my.typed SET d2 = d2 + 0.01 WHERE id = 12;
UPDATE gw_verify_my.typed SET dbl = dbl + 1e-12 WHERE id = 13;
UPDATE gw_verify_my.typed SET e = 'red' WHERE id = 14;
UPDATE gw_verify_my.typed SET s = ARRAY['z'] WHERE id = 15;
UPDATE gw_verify_my.typed SET b5 = B'11111' WHERE id = 16;
UPDATE gw_verify_my.typed SET bl = bl || '\x00'::bytea WHERE id = 17;
UPDATE gw_verify_my.typed SET tm = tm + interval '1 second' WHERE id = 18;
UPDATE gw_verify_my.typed SET y = y + 1 WHERE id = 19;
UPDATE gw_verify_my.typed SET tiu = tiu + 1 WHERE id = 20;
UPDATE gw_verify_my.typed SET biu = biu - 1 WHERE id = 21;
UPDATE gw_verify_my.padded SET c = 'x z' WHERE id = 4;
UPDATE gw_verify_my.durations SET t6 = '12:00:00.4' WHERE id = 3;
SQL
PLANTED=$(spec planted <<'JSON'
{"equal": false, "max_report": 1000, "tables": {
  "gw_verify_my.ci": {"rows": [213, 214], "missing": [{"k": "B"}], "extra": [{"k": "b"}],
                      "mismatched": [[{"k": "Zed"}, ["v"]]], "values": [[{"k": "Zed"}, "v", "vZed", "changed"]]},
  "gw_verify_my.padded": {"rows": 4, "mismatched": [[{"id": "4"}, ["c"]]]},
  "gw_verify_my.durations": {"rows": 6, "mismatched": [[{"id": "3"}, ["t6"]]]},
  "gw_verify_my.typed": {"rows": 50, "mismatched": [[{"id": "7"}, ["j"]], [{"id": "10"}, ["dt6"]], [{"id": "11"}, ["ts"]],
      [{"id": "12"}, ["d2"]], [{"id": "13"}, ["dbl"]], [{"id": "14"}, ["e"]], [{"id": "15"}, ["s"]], [{"id": "16"}, ["b5"]],
      [{"id": "17"}, ["bl"]], [{"id": "18"}, ["tm"]], [{"id": "19"}, ["y"]], [{"id": "20"}, ["tiu"]], [{"id": "21"}, ["biu"]]],
    "values": [[{"id": "12"}, "d2", "-35.00", "-34.99"], [{"id": "14"}, "e", "blue", "red"], [{"id": "19"}, "y", "1920", "1921"],
               [{"id": "20"}, "tiu", "220", "221"], [{"id": "21"}, "biu", "18446744073709551594", "18446744073709551593"]]}}}
JSON
)
GW_CONTEXT="planted differences"
gw_verify 1 --format json --max-report 1000 --jobs 2
check_report "verify --format json with planted differences" "$OUT" "$PLANTED"
# A sample as big as the tables covers them: the same differences.
gw_verify 1 --format json --max-report 1000 --sample 100000
check_report "verify --sample 100000 with planted differences" "$OUT" "$PLANTED"
gw_verify 1
# grep -E (case-sensitive): 'B' and 'b' are the point.
grep -qaE '^gw_verify_my\.ci: [0-9]+ rows compared: 1 missing, 1 extra, 1 mismatched$' "$OUT" ||
    fail "text report has no line 'gw_verify_my.ci: N rows compared: 1 missing, 1 extra, 1 mismatched': $(_gw_first_lines "$OUT")"
grep -qaE '^ +missing on target \(k\)=\(B\)$' "$OUT" || fail "text report does not list 'missing on target (k)=(B)': $(_gw_first_lines "$OUT")"
grep -qaE '^ +extra on target \(k\)=\(b\)$' "$OUT" || fail "text report does not list 'extra on target (k)=(b)': $(_gw_first_lines "$OUT")"
grep -qaE '^ +mismatched \(k\)=\(Zed\): column "v": source vZed, target changed$' "$OUT" ||
    fail "text report does not list the mismatched v of key Zed: $(_gw_first_lines "$OUT")"
grep -qaE '^ +mismatched \(id\)=\(7\): column "j": ' "$OUT" || fail "text report does not list the mismatched j of id 7: $(_gw_first_lines "$OUT")"
grep -qaE '^verify: 4 tables, [0-9]+ rows compared: 1 missing, 1 extra, 16 mismatched' "$OUT" ||
    fail "text summary line: $(grep -a '^verify:' "$OUT")"
GW_CONTEXT=""

# ---- --repair-sql
gw_verify 1 --format json --max-report 1000 --repair-sql "$GW_OUT/repair.sql"
check_report "verify --repair-sql (report)" "$OUT" "$PLANTED"
apply_repair "$GW_OUT/repair.sql" "$DB"
GW_CONTEXT="after applying the repair SQL"
gw_verify 0 --format json
check_report "verify after the repair" "$OUT" "$EQUAL"
assert_digests_equal "$MDB" "$DB" ci gw_verify_my.ci "k, v, n"
assert_eq "B" "$(psql_tgt "$DB" "SELECT string_agg(k, ',') FROM gw_verify_my.ci WHERE lower(k) = 'b'")" "keys 'b'/'B' on the target"
assert_typed_equal "typed after the repair"
GW_CONTEXT=""

# ---- bad input
gw_verify 2 --tables gw_verify_my.no_such_table
assert_contains "$ERR" "no_such_table"
assert_short_message "$ERR"
assert_exit 3 "$GODWIT" verify --source "$(m_url gw_no_such_mdb)" --target "$(tgt_url "$DB")"
assert_contains "$ERR" "source"

finish
