#!/usr/bin/env bash
# MariaDB -> PostgreSQL: every supported type round-trips exactly, including extremes (integer
# limits signed and unsigned, DECIMAL(65,30), float edge values, TIME -838:59:59, DATETIME(6) max,
# YEAR 0, BIT(64), latin1 text with bytes 0x80-0xFF, 4-byte UTF-8 (and 3-byte in utf8mb3 columns), empty
# strings vs NULL, large
# BLOB/TEXT, ENUM and SET labels that need quoting, JSON).  Each value is checked by SQL written
# independently on both sides (hex of UTF-8 bytes, exact decimals, IEEE doubles, JSON structures), not
# by godwit's own output.  Also: the PostgreSQL types of the mapping, generated columns left out,
# AUTO_INCREMENT as identity/sequence, keys, indexes and foreign keys, defaults, --type-map and
# --unsigned-bigint int8 (a value above the bigint range stops the fetch naming table, column and key).
# godwit verify then says the copy is equal (every pair of the type table, by value).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_types) || abort_test "create databases"
register_mdbs "$DB"
T2=gw_my_types_map
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"

setup_m "$DB" - <<'SQL'
SET SESSION sql_mode = 'STRICT_TRANS_TABLES', time_zone = '+00:00';
CREATE TABLE alltypes (
  id int PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint, miu mediumint unsigned,
  i int, iu int unsigned, bi bigint, biu bigint unsigned, bo tinyint(1), bl boolean,
  de decimal(65,30), d2 decimal(10,2), du decimal(5,0) unsigned, f float, dbl double,
  b1 bit(1), b10 bit(10), b64 bit(64),
  c char(10), vc varchar(300), tt tinytext, tx text, mt mediumtext, lt longtext,
  cl1 varchar(200) CHARACTER SET latin1, tl1 text CHARACTER SET latin1, ca varchar(20) CHARACTER SET ascii,
  bn binary(4), vb varbinary(300), bb blob, lb longblob,
  dt date, dtm datetime, dtm6 datetime(6), ts timestamp NULL, ts3 timestamp(3) NULL, tm time, tm6 time(6), y year,
  e enum('a', 'b b', 'c''q', 'NULL', 'é', 'x\\y'), s set('x', 'y z', 'NULL', '{br}', 'w"q', ''),
  j json,
  g bigint AS (i * 2) VIRTUAL, gs varchar(20) AS (CONCAT('g', id)) STORED
);
INSERT INTO alltypes (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, bo, bl, de, d2, du, f, dbl, b1, b10, b64,
    c, vc, tt, tx, mt, lt, cl1, tl1, ca, bn, vb, bb, lb, dt, dtm, dtm6, ts, ts3, tm, tm6, y, e, s, j) VALUES
 (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0,
  '-99999999999999999999999999999999999.999999999999999999999999999999', -99999999.99, 0,
  -3.4028234e38, -1.7976931348623157e308, b'0', b'0', b'0',
  '', '', '', '', '', '', '', '', '', '', '', '', '',
  '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01', '1970-01-01 00:00:01.000',
  '-838:59:59', '-838:59:59.000000', 1901, 'a', '', '{}'),
 (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
  18446744073709551615, 1, 1,
  '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99, 99999,
  3.4028234e38, 1.7976931348623157e308, b'1', b'1111111111', b'1111111111111111111111111111111111111111111111111111111111111111',
  'abcdefghij', REPEAT('é', 300), 'tiny', 'text', 'medium', 'long',
  CONVERT(UNHEX('41C0C9D6DCE4E9F6FCFF') USING latin1), CONVERT(UNHEX('808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF') USING latin1),
  'ascii ~!', UNHEX('00FF7F80'), UNHEX('000102030405060708090A0B0C0D0E0F10'), UNHEX('DEADBEEF5C0A0D09'), UNHEX('00'),
  '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.999',
  '838:59:59', '838:59:59.000000', 2155, 'NULL', 'x,y z,NULL,{br},w"q',
  '{"a": [1, 2.5, null, true, false], "b": {"c": "d\\n\\u00e9\\t\\\\"}, "n": -1.5e10}'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (4, 0, 1, 0, 1, 0, 1, 0, 1, 0, 9223372036854775807, 0, 1, '0.000000000000000000000000000001', 0.01, 1,
  1.2345678, 0.1, b'1', b'0000000001', b'1000000000000000000000000000000000000000000000000000000000000001',
  ' a b', CONCAT('tab', CHAR(9), 'nl', CHAR(10), 'cr', CHAR(13), 'bs\\', "'q'", '"dq"'), '😀 4-byte 𝄞', 'ünïcødé ✓',
  REPEAT('abc\\', 50000), REPEAT('x', 1000000), 'Ætna', 'plain', '', '', '', UNHEX('00FF00'), REPEAT(UNHEX('00FF'), 300000),
  '2024-02-29', '2024-02-29 13:05:09', '2024-02-29 13:05:09.120000', '2024-02-29 13:05:09', '2024-02-29 13:05:09.5',
  '-00:00:01', '-00:00:00.000001', 0, 'é', ',NULL', '"just a string"'),
 (5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 0, '-0.5', -0.5, 7, 1e-45, 4.9e-324, b'0', b'0101010101', b'0101',
  'x', 'trailing spaces  ', ' ', '\\N', 'NULL', '\\', 'a\\b', 'é', '', UNHEX('20'), UNHEX('5C'), UNHEX('5C78'), '',
  '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00.000001', '2000-01-01 00:00:00', '2000-01-01 00:00:00.001',
  '00:00:00', '00:00:00.999999', 2000, 'x\\y', 'y z', '[1, [2, [3, {}]]]'),
 (6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.0, 123456789.123456789, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '100:00:00', '-100:00:00.5', NULL, 'c''q', 'w"q', 'null');
CREATE TABLE parent (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, code varchar(10) NOT NULL, UNIQUE KEY code_uq (code));
CREATE TABLE child (id int AUTO_INCREMENT PRIMARY KEY, parent_id bigint unsigned, parent_code varchar(10),
  qty int NOT NULL DEFAULT 7, note varchar(20) DEFAULT 'it''s', made datetime DEFAULT CURRENT_TIMESTAMP,
  flag tinyint(1) NOT NULL DEFAULT 1, kind enum('p','q') DEFAULT 'q', body text, pt point,
  KEY parent_idx (parent_id), KEY qty_desc (qty DESC, id), KEY note_prefix (note(5)), FULLTEXT KEY body_ft (body),
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
  CONSTRAINT child_code FOREIGN KEY (parent_code) REFERENCES parent (code));
INSERT INTO parent (code) VALUES ('p1'), ('p2'), ('p3');
INSERT INTO child (parent_id, parent_code, qty) VALUES (1, 'p1', 1), (2, 'p2', 2), (3, NULL, 3);
ALTER TABLE parent AUTO_INCREMENT = 1000;
CREATE TABLE zf (id int PRIMARY KEY, z int(5) unsigned zerofill, d decimal(6,2) zerofill, y year);
INSERT INTO zf VALUES (1, 42, 3.5, 2024), (2, NULL, NULL, 0), (3, 99999, 9999.99, NULL);
CREATE TABLE mb (id int PRIMARY KEY, u3 varchar(40) CHARACTER SET utf8mb3, c3 char(6) CHARACTER SET utf8mb3,
  u4 varchar(40) CHARACTER SET utf8mb4, t4 text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, k char(8) NOT NULL,
  UNIQUE KEY k_uq (k));
INSERT INTO mb VALUES (1, '€ ✓ 中文 ü ￿', 'ü✓中', '😀 𝄞 € ü', REPEAT('🀄', 100), 'k1'),
  (2, '', '', '', '', 'k2 x'), (3, NULL, NULL, NULL, NULL, 'k3'), (4, 'plain', 'a b ', '𝄞', '😀', 'k4');
CREATE TABLE small_ints (id int PRIMARY KEY, biu bigint unsigned, flag tinyint(1));
INSERT INTO small_ints VALUES (1, 9223372036854775807, 2), (2, 0, 0);
ANALYZE TABLE alltypes, parent, child, small_ints;
SQL

# child has a spatial column: refused, then left out by --exclude, and the rest copied.
gw_mfetch 2 "$DB" "$DB" --no-stream
assert_contains "$ERR" "child"
assert_contains "$ERR" "pt"
assert_short_message "$ERR"
setup_m "$DB" "ALTER TABLE child DROP COLUMN pt"
gw_mfetch 0 "$DB" "$DB" --no-stream --exclude small_ints
assert_contains "$ERR" "generated column g"
assert_contains "$ERR" "body_ft"
assert_contains "$ERR" "note_prefix"

# Column types on the target.
types=$(psql_tgt "$DB" "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NN' ELSE '' END, ', ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = 'gw_my_types.alltypes'::regclass AND attnum > 0 AND NOT attisdropped" 2>&1)
assert_eq "id integer NN, ti smallint, tiu smallint, si smallint, siu integer, mi integer, miu integer, i integer, iu bigint, bi bigint, biu numeric(20,0), bo boolean, bl boolean, de numeric(65,30), d2 numeric(10,2), du numeric(5,0), f real, dbl double precision, b1 bit(1), b10 bit(10), b64 bit(64), c character(10), vc character varying(300), tt text, tx text, mt text, lt text, cl1 character varying(200), tl1 text, ca character varying(20), bn bytea, vb bytea, bb bytea, lb bytea, dt date, dtm timestamp(0) without time zone, dtm6 timestamp(6) without time zone, ts timestamp(0) with time zone, ts3 timestamp(3) with time zone, tm interval, tm6 interval, y smallint, e gw_my_types.alltypes_e, s text[], j jsonb" "$types" "column types of alltypes"
assert_eq "a|b b|c'q|NULL|é|x\\y" "$(psql_tgt "$DB" "SELECT string_agg(enumlabel, '|' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'gw_my_types.alltypes_e'::regtype")" "labels of the enum type"

# Values, compared through independent SQL on each side (NULL as <null>).
M_EXPR=(id ti tiu si siu mi miu i iu bi biu "IF(bo, 't', 'f')" "IF(bl, 't', 'f')" de d2 du "CAST(f AS DOUBLE)" dbl
  "LPAD(BIN(b1), 1, '0')" "LPAD(BIN(b10), 10, '0')" "LPAD(BIN(b64), 64, '0')"
  "LOWER(HEX(CONVERT(c USING utf8mb4)))" "LOWER(HEX(vc))" "LOWER(HEX(tt))" "LOWER(HEX(tx))" "MD5(mt)" "MD5(lt)"
  "LOWER(HEX(CONVERT(cl1 USING utf8mb4)))" "LOWER(HEX(CONVERT(tl1 USING utf8mb4)))" "LOWER(HEX(ca))"
  "LOWER(HEX(bn))" "LOWER(HEX(vb))" "LOWER(HEX(bb))" "MD5(lb)"
  "DATE_FORMAT(dt, '%Y-%m-%d')" "DATE_FORMAT(dtm, '%Y-%m-%d %H:%i:%s.%f')" "DATE_FORMAT(dtm6, '%Y-%m-%d %H:%i:%s.%f')"
  "DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')" "DATE_FORMAT(ts3, '%Y-%m-%d %H:%i:%s.%f')"
  "TIME_TO_SEC(tm)" "TIME_TO_SEC(tm6)" "y + 0" "LOWER(HEX(CONVERT(e USING utf8mb4)))" "LOWER(HEX(CONVERT(s USING utf8mb4)))"
  "JSON_COMPACT(j)")
P_EXPR=(id ti tiu si siu mi miu i iu bi biu "CASE WHEN bo THEN 't' ELSE 'f' END" "CASE WHEN bl THEN 't' ELSE 'f' END" de d2 du
  "f::float8" dbl "b1::text" "b10::text" "b64::text"
  "encode(convert_to(c, 'UTF8'), 'hex')" "encode(convert_to(vc, 'UTF8'), 'hex')" "encode(convert_to(tt, 'UTF8'), 'hex')"
  "encode(convert_to(tx, 'UTF8'), 'hex')" "md5(mt)" "md5(lt)"
  "encode(convert_to(cl1, 'UTF8'), 'hex')" "encode(convert_to(tl1, 'UTF8'), 'hex')" "encode(convert_to(ca, 'UTF8'), 'hex')"
  "encode(bn, 'hex')" "encode(vb, 'hex')" "encode(bb, 'hex')" "md5(lb)"
  "to_char(dt, 'YYYY-MM-DD')" "to_char(dtm, 'YYYY-MM-DD HH24:MI:SS.US')" "to_char(dtm6, 'YYYY-MM-DD HH24:MI:SS.US')"
  "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')" "to_char(ts3, 'YYYY-MM-DD HH24:MI:SS.US')"
  "extract(epoch FROM tm)" "extract(epoch FROM tm6)" "y" "encode(convert_to(e::text, 'UTF8'), 'hex')"
  "encode(convert_to(array_to_string(s, ',', '<NULL element>'), 'UTF8'), 'hex')" "j::text")
MODES=s,n,n,n,n,n,n,n,n,n,n,s,s,n,n,n,f,f,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,n,n,n,s,s,j
join_exprs() {
    local dialect=$1; shift
    local out="" e
    for e in "$@"; do
        if [ "$dialect" = m ]; then out+="${out:+, }IFNULL($e, '<null>')"; else out+="${out:+, }coalesce(($e)::text, '<null>')"; fi
    done
    printf '%s' "$out"
}
mariadb_sql "$GW_MSRC_SERVER" "$DB" --default-character-set=utf8mb4 --raw -e "SET time_zone = '+00:00'; SELECT $(join_exprs m "${M_EXPR[@]}") FROM alltypes ORDER BY id" >"$GW_OUT/m_rows" 2>"$GW_OUT/m_rows.err" ||
    fail "MariaDB row query failed: $(cat "$GW_OUT/m_rows.err")"
psql_tgt "$DB" "SELECT concat_ws(E'\\t', $(join_exprs p "${P_EXPR[@]}")) FROM gw_my_types.alltypes ORDER BY id" >"$GW_OUT/p_rows" 2>&1 ||
    fail "PostgreSQL row query failed: $(cat "$GW_OUT/p_rows")"
assert_rows_equal "alltypes values" "$GW_OUT/m_rows" "$GW_OUT/p_rows" "$MODES"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM gw_my_types.alltypes WHERE 'NULL' <> ALL (s) AND id = 2")" "the SET label NULL is the text NULL, not a NULL element"

# Keys, indexes, foreign keys, identity and sequence, defaults.
# (godwit_limit_N: what the source's column type cannot hold, test_mysql_target_limits)
assert_eq "child_code child_parent child_pkey" "$(psql_tgt "$DB" "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'gw_my_types.child'::regclass AND conname NOT LIKE 'godwit\_limit\_%'")" "constraints of child"
assert_eq "parent_code_uq parent_pkey" "$(psql_tgt "$DB" "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'gw_my_types.parent'::regclass AND conname NOT LIKE 'godwit\_limit\_%'")" "constraints of parent"
assert_eq "child_child_code child_parent_idx child_pkey child_qty_desc" "$(psql_tgt "$DB" "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'gw_my_types' AND tablename = 'child'")" "indexes of child (no prefix or FULLTEXT index)"
assert_contains_re <(psql_tgt "$DB" "SELECT indexdef FROM pg_indexes WHERE indexname = 'child_qty_desc'") "qty DESC, id"
r=$(psql_tgt "$DB" "BEGIN; INSERT INTO gw_my_types.child (parent_id) VALUES (1) RETURNING id, qty, note, flag, kind, made IS NOT NULL; ROLLBACK;" 2>&1)
assert_eq "4|7|it's|t|q|t" "$r" "identity continues after the copied rows and defaults apply"
r=$(psql_tgt "$DB" "BEGIN; INSERT INTO gw_my_types.parent (code) VALUES ('new') RETURNING id; ROLLBACK;" 2>&1)
assert_eq 1000 "$r" "BIGINT UNSIGNED AUTO_INCREMENT continues at the table's next AUTO_INCREMENT value"
assert_eq "numeric(20,0)" "$(psql_tgt "$DB" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'gw_my_types.parent'::regclass AND attname = 'id'")" "parent.id type"
assert_eq "1|42|3.50|2024,2|||0,3|99999|9999.99|" "$(psql_tgt "$DB" "SELECT string_agg(concat_ws('|', id, coalesce(z::text, ''), coalesce(d::text, ''), coalesce(y::text, '')), ',' ORDER BY id) FROM gw_my_types.zf")" "ZEROFILL numbers and YEAR"
assert_digests_equal "$DB" "$DB" child gw_my_types.child "id, parent_id, parent_code, qty, note, kind"
# 3-byte characters in utf8mb3 columns, 4-byte ones in utf8mb4 columns, as UTF-8 bytes on both sides.
assert_eq "$(msql "$DB" "SELECT GROUP_CONCAT(CONCAT_WS('|', id, IFNULL(LOWER(HEX(CONVERT(u3 USING utf8mb4))), '-'),
        IFNULL(LOWER(HEX(CONVERT(c3 USING utf8mb4))), '-'), IFNULL(LOWER(HEX(u4)), '-'), IFNULL(MD5(t4), '-'), k)
        ORDER BY id SEPARATOR ',') FROM mb")" \
    "$(psql_tgt "$DB" "SELECT string_agg(concat_ws('|', id, coalesce(encode(convert_to(u3, 'UTF8'), 'hex'), '-'),
        coalesce(encode(convert_to(rtrim(c3), 'UTF8'), 'hex'), '-'), coalesce(encode(convert_to(u4, 'UTF8'), 'hex'), '-'),
        coalesce(md5(t4), '-'), rtrim(k)), ',' ORDER BY id) FROM gw_my_types.mb")" "utf8mb3 and utf8mb4 text"
# godwit's own verify agrees on every table of this exact copy: every mapped type, char keys included.
assert_exit 0 "$GODWIT" verify --source "$(m_url "$DB")" --target "$(tgt_url "$DB")"

# --type-map and --unsigned-bigint int8: a value above 2^63-1 stops the fetch, naming table, column and key.
printf '{"gw_my_types.small_ints.flag": "smallint", "gw_my_types.alltypes.e": "text", "gw_my_types.alltypes.tm": "varchar(20)"}\n' >"$GW_OUT/map.json"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$(tgt_url "$T2")" --no-stream --unsigned-bigint int8 --type-map "$GW_OUT/map.json"
assert_contains "$ERR" "alltypes"
assert_contains "$ERR" "column biu"
assert_contains "$ERR" "(id)=(2)"
assert_contains "$ERR" "18446744073709551615"
assert_short_message "$ERR"
assert_no_user_tables "$T2"
gw_mfetch 0 "$DB" "$T2" --no-stream --unsigned-bigint int8 --type-map "$GW_OUT/map.json" --tables small_ints
assert_eq "bigint smallint" "$(psql_tgt "$T2" "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'gw_my_types.small_ints'::regclass AND attname IN ('biu', 'flag')")" "small_ints types with --unsigned-bigint int8 and --type-map"
assert_eq "1|9223372036854775807|2,2|0|0" "$(psql_tgt "$T2" "SELECT string_agg(id || '|' || biu || '|' || flag, ',' ORDER BY id) FROM gw_my_types.small_ints")" "small_ints values"
assert_eq '{"type_map": {"gw_my_types.alltypes.e": "text", "gw_my_types.alltypes.tm": "varchar(20)", "gw_my_types.small_ints.flag": "smallint"}, "zero_dates": "error", "unsigned_bigint": "int8"}' \
    "$(psql_tgt "$T2" "SELECT source_options FROM _godwit.phases WHERE name = 'default'")" "source options kept with the phase"
# Without --type-map, TINYINT(1) 2 is refused by name.
T3=gw_my_types_bool
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T3" || abort_test "createdb"
register_dbs "$T3"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$(tgt_url "$T3")" --no-stream --tables small_ints
assert_contains "$ERR" "column flag, key (id)=(1): value '2'"
assert_contains "$ERR" "--type-map"
assert_no_user_tables "$T3"
# A type the map does not know is refused before anything happens.
printf '{"gw_my_types.small_ints.flag": "tinyint"}\n' >"$GW_OUT/bad.json"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$(tgt_url "$T3")" --no-stream --tables small_ints --type-map "$GW_OUT/bad.json"
assert_contains "$ERR" "tinyint"
assert_no_user_tables "$T3"
finish
