#!/usr/bin/env bash
# Failback PostgreSQL -> MariaDB (MySQL as the writer), checked by independent SQL on both servers:
#   fetch MariaDB -> PostgreSQL (phase fb; and phase other, into another database, for the loop
#   check), replicate, failback refused before the cutover, then cutover (drains forward, prepares the
#   stream);
#   fixed SQL on the PostgreSQL target: inserts, updates (also of the key, a three-step key swap,
#   several updates of one row in one transaction, an insert deleted in the same transaction),
#   deletes, NULLs, every mapped type at its edges (BIT, SET, ENUM, TIME beyond 24 h and negative,
#   intervals with days, DATETIME(6), TIMESTAMP from other offsets, JSON, bytes with NUL, latin1,
#   4-byte UTF-8, quotes and backslashes), quoted and unicode identifiers, a keyless table
#   (duplicates, matching that tells 'ab' from 'Ab', floats and JSON whose text differs), TRUNCATE,
#   a table of which the phase has some rows (--where): a row leaving the phase is deleted only if it
#   is the phase's, a TRUNCATE deletes only the phase's rows;
#   failback --stop-when-caught-up: each table equal on both servers, value by value;
#   batches at their limits (1000 rows, 1 MB), a two-column key, updates that leave a TOASTed
#   value unchanged (one of them moving the key);
#   a load (pgbench) on the target while failback is killed with -9 three times, then has its
#   MariaDB session killed (it reconnects): equal afterwards, and an insert-only keyless table shows
#   that nothing was applied twice or lost; a second failback meanwhile is refused (exit 2, naming
#   the first's pid) and the first goes on applying without a reconnect;
#   no loop: phase other's forward replicate reads the same binlog and skips every transaction
#   failback wrote (its own-transaction count, and the rows failback wrote do not reach it), while
#   a write of the application reaches it; failback's `_godwit` DDL does not stop it;
#   the checkpoint in MariaDB's _godwit.checkpoints; a value MySQL cannot hold (an interval with a
#   month) stops failback with a message naming table, column and value.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_fb_my) || abort_test "create databases"
register_mdbs "$DB"
T2=gw_fb_my_other
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"
ODD_M='`Odd "Name" ü`'
ODD_P='"Odd ""Name"" ü"'

setup_m "$DB" - <<'SQL'
SET SESSION sql_mode = 'STRICT_TRANS_TABLES', time_zone = '+00:00';
CREATE TABLE alltypes (
  id int PRIMARY KEY,
  ti tinyint, i int, iu int unsigned, bi bigint, biu bigint unsigned, bo tinyint(1),
  de decimal(65,30), d2 decimal(10,2), f float, dbl double,
  b1 bit(1), b10 bit(10), b64 bit(64),
  c char(10), vc varchar(300), tx text, cl1 varchar(200) CHARACTER SET latin1,
  bn binary(4), vb varbinary(300), bb blob,
  dt date, dtm datetime, dtm6 datetime(6), ts timestamp(6) NULL, tm time, tm6 time(6), y year,
  e enum('a', 'b b', 'c''q', 'NULL', 'é', 'x\\y'), s set('x', 'y z', 'NULL', '{br}', 'w"q', ''),
  j json,
  g bigint AS (i * 2) VIRTUAL
) ENGINE=InnoDB;
INSERT INTO alltypes (id, ti, i, iu, bi, biu, bo, de, d2, f, dbl, b1, b10, b64, c, vc, tx, cl1, bn, vb, bb,
    dt, dtm, dtm6, ts, tm, tm6, y, e, s, j) VALUES
 (1, 1, 1, 1, 1, 1, 1, '1.5', 1.25, 1.5, 2.5, b'1', b'1', b'1', 'one', 'one', 'one', 'one', UNHEX('01'), UNHEX('01'),
  UNHEX('01'), '2001-01-01', '2001-01-01 01:01:01', '2001-01-01 01:01:01.000001', '2001-01-01 01:01:01', '01:01:01',
  '01:01:01.5', 2001, 'a', 'x', '{"a":1}'),
 (2, 2, 2, 2, 2, 2, 0, '2.5', 2.25, 2.5, 3.5, b'0', b'10', b'10', 'two', 'two', 'two', 'two', UNHEX('02'), UNHEX('02'),
  UNHEX('02'), '2002-02-02', '2002-02-02 02:02:02', '2002-02-02 02:02:02.000002', '2002-02-02 02:02:02', '-02:02:02',
  '-02:02:02.25', 2002, 'b b', 'y z', '[2]'),
 (3, 3, 3, 3, 3, 3, 1, '3.5', 3.25, 3.5, 4.5, b'1', b'11', b'11', 'three', 'three', 'three', 'three', UNHEX('03'),
  UNHEX('03'), UNHEX('03'), '2003-03-03', '2003-03-03 03:03:03', '2003-03-03 03:03:03.000003', '2003-03-03 03:03:03',
  '03:03:03', '03:03:03', 2003, 'é', '', 'null'),
 (4, 4, 4, 4, 4, 4, 0, '4.5', 4.25, 4.5, 5.5, b'0', b'100', b'100', 'four', 'four', 'four', 'four', UNHEX('04'),
  UNHEX('04'), UNHEX('04'), '2004-04-04', '2004-04-04 04:04:04', '2004-04-04 04:04:04.000004', '2004-04-04 04:04:04',
  '04:04:04', '04:04:04', 2004, 'a', 'x', '4'),
 (5, 5, 5, 5, 5, 5, 1, '5.5', 5.25, 5.5, 6.5, b'1', b'101', b'101', 'five', 'five', 'five', 'five', UNHEX('05'),
  UNHEX('05'), UNHEX('05'), '2005-05-05', '2005-05-05 05:05:05', '2005-05-05 05:05:05.000005', '2005-05-05 05:05:05',
  '05:05:05', '05:05:05', 2005, 'a', 'x', '5');
CREATE TABLE `Odd "Name" ü` (`Key Col` int PRIMARY KEY, `v"q` varchar(20), `Ünï Cödé` text) ENGINE=InnoDB;
INSERT INTO `Odd "Name" ü` VALUES (1, 'one', 'ü1'), (2, NULL, 'ü2'), (3, 'three', NULL);
CREATE TABLE kl (a int, b varchar(10), f float, j json, t char(5)) ENGINE=InnoDB;
INSERT INTO kl VALUES (1, 'x', 1.1, '{"k":1}', 'ab'), (1, 'x', 1.1, '{"k":1}', 'ab'), (2, 'y', NULL, NULL, NULL),
    (3, 'Ab', 0.1, '[1,2]', 'c'), (3, 'ab', 0.1, '[1,2]', 'c');
CREATE TABLE trunc (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
INSERT INTO trunc VALUES (1, 'one'), (2, 'two');
CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL, note varchar(40)) ENGINE=InnoDB;
INSERT INTO counters SELECT seq, 0, CONCAT('c', seq) FROM seq_1_to_50;
CREATE TABLE hits (k int NOT NULL, seq bigint NOT NULL, at datetime(6)) ENGINE=InnoDB;
CREATE TABLE ck (a int, b char(5), v int, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO ck VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', 3);
CREATE TABLE docs (id int PRIMARY KEY, title varchar(40), body longtext) ENGINE=InnoDB;
INSERT INTO docs SELECT seq, CONCAT('t', seq), (SELECT GROUP_CONCAT(MD5(CONCAT(seq, '-', s.seq)) SEPARATOR '')
    FROM seq_1_to_400 s) FROM seq_1_to_3;
CREATE TABLE regions (id int PRIMARY KEY, region varchar(2) NOT NULL, v int) ENGINE=InnoDB;
INSERT INTO regions SELECT seq, IF(seq % 2 = 1, 'A', 'B'), seq FROM seq_1_to_6;
CREATE TABLE uq (id int PRIMARY KEY, u varchar(10) NOT NULL UNIQUE, v int) ENGINE=InnoDB;
INSERT INTO uq VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);
CREATE TABLE trg (id int PRIMARY KEY, v int) ENGINE=InnoDB;
INSERT INTO trg VALUES (1, 1), (2, 2);
-- Triggers (MariaDB's only), logging into a table the phase does not have: failback keeps them from
-- firing for what it applies (test_failback_mysql_triggers.sh).
CREATE TABLE trg_log (n int NOT NULL AUTO_INCREMENT PRIMARY KEY, what varchar(40)) ENGINE=InnoDB;
CREATE TRIGGER trg_ins AFTER INSERT ON trg FOR EACH ROW INSERT INTO trg_log (what) VALUES (CONCAT('ins ', NEW.id, ' ', IFNULL(NEW.v, '-')));
CREATE TRIGGER trg_del AFTER DELETE ON trg FOR EACH ROW INSERT INTO trg_log (what) VALUES (CONCAT('del ', OLD.id));
SQL

my_url() { m_url "$DB"; }
gw_failback() {   # CODE ARGS...
    local code=$1; shift
    assert_exit "$code" "$GODWIT" failback --source "$(my_url)" --target "$(tgt_url "$DB")" --phase fb "$@"
}
bg_failback() {   # VAR
    bg_start "$1" "$GODWIT" failback --source "$(my_url)" --target "$(tgt_url "$DB")" --phase fb
}

# Phase fb has region A of table regions only: its deletes and truncates there are guarded by the predicate.
gw_mfetch 0 "$DB" "$DB" --phase fb --exclude gw_fb_my.trg_log --where "gw_fb_my.regions: region = 'A'" || abort_test "fetch of phase fb"
assert_exit 0 "$GODWIT" fetch --source "$(my_url)" --target "$(tgt_url "$T2")" --phase other --tables 'gw_fb_my.alltypes,gw_fb_my.counters' ||
    abort_test "fetch of phase other"
# A keyless table's updates and deletes reach failback only with the whole old row.
setup_tgt "$DB" "ALTER TABLE gw_fb_my.kl REPLICA IDENTITY FULL"

# ---------------------------------------------------------------- comparisons
# Every column, by SQL written independently for each server (NULL as <null>), compared by mode
# (s text, n decimal, f IEEE double, j JSON structure).
A_M=(id ti i iu bi biu "IF(bo, 't', 'f')" de d2 "CAST(f AS DOUBLE)" dbl
  "LPAD(BIN(b1), 1, '0')" "LPAD(BIN(b10), 10, '0')" "LPAD(BIN(b64), 64, '0')"
  "LOWER(HEX(CONVERT(c USING utf8mb4)))" "LOWER(HEX(vc))" "LOWER(HEX(tx))" "LOWER(HEX(CONVERT(cl1 USING utf8mb4)))"
  "LOWER(HEX(bn))" "LOWER(HEX(vb))" "LOWER(HEX(bb))"
  "DATE_FORMAT(dt, '%Y-%m-%d')" "DATE_FORMAT(dtm, '%Y-%m-%d %H:%i:%s.%f')" "DATE_FORMAT(dtm6, '%Y-%m-%d %H:%i:%s.%f')"
  "DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')" "TIME_TO_SEC(tm)" "TIME_TO_SEC(tm6)" "y + 0"
  "LOWER(HEX(CONVERT(e USING utf8mb4)))" "LOWER(HEX(CONVERT(s USING utf8mb4)))" "JSON_COMPACT(j)" "g")
A_P=(id ti i iu bi biu "CASE WHEN bo THEN 't' ELSE 'f' END" de d2 "f::float8" dbl "b1::text" "b10::text" "b64::text"
  "encode(convert_to(c, 'UTF8'), 'hex')" "encode(convert_to(vc, 'UTF8'), 'hex')" "encode(convert_to(tx, 'UTF8'), 'hex')"
  "encode(convert_to(cl1, 'UTF8'), 'hex')" "encode(bn, 'hex')" "encode(vb, 'hex')" "encode(bb, 'hex')"
  "to_char(dt, 'YYYY-MM-DD')" "to_char(dtm, 'YYYY-MM-DD HH24:MI:SS.US')" "to_char(dtm6, 'YYYY-MM-DD HH24:MI:SS.US')"
  "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')" "extract(epoch FROM tm)" "extract(epoch FROM tm6)" "y"
  "encode(convert_to(e::text, 'UTF8'), 'hex')" "encode(convert_to(array_to_string(s, ','), 'UTF8'), 'hex')" "j::text"
  "i::bigint * 2")
A_MODES=s,n,n,n,n,n,s,n,n,f,f,s,s,s,s,s,s,s,s,s,s,s,s,s,s,n,n,n,s,s,j,n
O_M=('`Key Col`' 'LOWER(HEX(`v"q`))' 'LOWER(HEX(`Ünï Cödé`))')
O_P=('"Key Col"' "encode(convert_to(\"v\"\"q\", 'UTF8'), 'hex')" "encode(convert_to(\"Ünï Cödé\", 'UTF8'), 'hex')")
K_M=(a "LOWER(HEX(b))" "CAST(f AS DOUBLE)" "JSON_COMPACT(j)" "LOWER(HEX(t))")
K_P=(a "encode(convert_to(b, 'UTF8'), 'hex')" "f::float8" "j::text" "encode(convert_to(t, 'UTF8'), 'hex')")
K_MODES=n,s,f,j,s
T_M=(id v); T_P=(id v)
CK_M=(a "LOWER(HEX(b))" v); CK_P=(a "encode(convert_to(b, 'UTF8'), 'hex')" v)
D_M=(id title "MD5(body)"); D_P=(id title "md5(body)")
R_M=(id region v); R_P=(id region v)
C_M=(id n note); C_P=(id n note)
U_M=(id u v); U_P=(id u v)

join_exprs() {
    local dialect=$1; shift
    local out="" e
    for e in "$@"; do
        if [ "$dialect" = m ]; then out+="${out:+, }IFNULL($e, '<null>')"; else out+="${out:+, }coalesce(($e)::text, '<null>')"; fi
    done
    printf '%s' "$out"
}
# dump_table SIDE TABLE(SQL) NAME EXPRS...: the rows, sorted (bytewise) by their text, into $GW_OUT/NAME.SIDE.
dump_table() {
    local side=$1 tbl=$2 name=$3; shift 3
    if [ "$side" = m ]; then
        mariadb_sql "$GW_MSRC_SERVER" "$DB" --default-character-set=utf8mb4 --raw \
            -e "SET time_zone = '+00:00'; SELECT $(join_exprs m "$@") FROM $tbl" >"$GW_OUT/$name.m.raw" 2>&1
    else
        psql_tgt "$DB" "SELECT concat_ws(E'\\t', $(join_exprs p "$@")) FROM gw_fb_my.$tbl" >"$GW_OUT/$name.p.raw" 2>&1
    fi || { fail "reading $tbl on $side: $(head -c 300 "$GW_OUT/$name.$side.raw")"; return 1; }
    LC_ALL=C sort "$GW_OUT/$name.$side.raw" >"$GW_OUT/$name.$side"
}
# assert_table_equal WHAT TABLE_M TABLE_P NAME MODES M_EXPRS... -- P_EXPRS...
assert_table_equal() {
    local what=$1 tm=$2 tp=$3 name=$4 modes=$5; shift 5
    local me=() pe=()
    while [ "$1" != -- ]; do me+=("$1"); shift; done
    shift
    pe=("$@")
    dump_table m "$tm" "$name" "${me[@]}" && dump_table p "$tp" "$name" "${pe[@]}" &&
        assert_rows_equal "$what: $name" "$GW_OUT/$name.m" "$GW_OUT/$name.p" "$modes"
}
assert_all_equal() {
    local w=$1
    assert_table_equal "$w" alltypes alltypes alltypes "$A_MODES" "${A_M[@]}" -- "${A_P[@]}"
    assert_table_equal "$w" "$ODD_M" "$ODD_P" odd n,s,s "${O_M[@]}" -- "${O_P[@]}"
    assert_table_equal "$w" kl kl kl "$K_MODES" "${K_M[@]}" -- "${K_P[@]}"
    assert_table_equal "$w" trunc trunc trunc n,s "${T_M[@]}" -- "${T_P[@]}"
    assert_table_equal "$w" counters counters counters n,n,s "${C_M[@]}" -- "${C_P[@]}"
    assert_table_equal "$w" ck ck ck n,s,n "${CK_M[@]}" -- "${CK_P[@]}"
    assert_table_equal "$w" docs docs docs n,s,s "${D_M[@]}" -- "${D_P[@]}"
    assert_table_equal "$w" "regions WHERE region = 'A'" "regions WHERE region = 'A'" regions n,s,n "${R_M[@]}" -- "${R_P[@]}"
    assert_table_equal "$w" uq uq uq n,s,n "${U_M[@]}" -- "${U_P[@]}"
    assert_table_equal "$w" trg trg trg n,n "${T_M[@]}" -- "${T_P[@]}"
    assert_eq "$(hits_digest p)" "$(hits_digest m)" "$w: hits (count, sum, md5) on PostgreSQL and MariaDB"
}
hits_digest() {
    if [ "$1" = m ]; then
        msql "$DB" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ' ', IFNULL(SUM(k), 0), ' ',
            IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', seq, k, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f')) ORDER BY seq, k SEPARATOR '\n')), 'none')) FROM hits"
    else
        psql_tgt "$DB" "SELECT count(*) || ' ' || coalesce(sum(k), 0) || ' ' || coalesce(md5(string_agg(concat_ws('|', seq, k,
            to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')), E'\n' ORDER BY seq, k)), 'none') FROM gw_fb_my.hits"
    fi
}
hits_synced() { [ "$(hits_digest p 2>/dev/null)" = "$(hits_digest m 2>/dev/null)" ]; }
assert_all_equal "after fetch"

# ---------------------------------------------------------------- forward, refused failback, cutover
setup_m "$DB" "UPDATE counters SET note = 'forward' WHERE id = 1"
assert_exit 0 "$GODWIT" replicate --source "$(my_url)" --target "$(tgt_url "$DB")" --phase fb --stop-when-caught-up
gw_failback 2 --stop-when-caught-up
assert_contains "$ERR" "godwit cutover --phase fb"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'fb'")" "status after the refused failback"
assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "slots on the target after the refused failback"
setup_m "$DB" "UPDATE counters SET note = 'drained' WHERE id = 2"
assert_exit 0 "$GODWIT" cutover --source "$(my_url)" --target "$(tgt_url "$DB")" --phase fb --quiet-seconds 1 \
    --verify none || abort_test "cutover"
assert_contains "$ERR" "failback prepared"
gw_failback 0 --stop-when-caught-up || abort_test "first failback run"
assert_eq "drained" "$(psql_tgt "$DB" "SELECT note FROM gw_fb_my.counters WHERE id = 2")" "change drained by the cutover"
# The source's `_godwit` state (its sessions marked skip_replication).
assert_eq "1" "$(msql "" "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '_godwit' AND TABLE_NAME = 'checkpoints'")" "_godwit.checkpoints on MariaDB"

# ---------------------------------------------------------------- changes on the target
setup_tgt "$DB" - <<'SQL'
SET search_path = gw_fb_my;
INSERT INTO alltypes (id, ti, i, iu, bi, biu, bo, de, d2, f, dbl, b1, b10, b64, c, vc, tx, cl1, bn, vb, bb,
    dt, dtm, dtm6, ts, tm, tm6, y, e, s, j) VALUES
 (101, -128, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, true,
  '-99999999999999999999999999999999999.999999999999999999999999999999', -99999999.99, 3.4028235e38,
  1.7976931348623157e308, B'1', B'1010101010', B'1000000000000000000000000000000000000000000000000000000000000001',
  'abcdefghij', 'it''s "q" \ back\slash \N', E'tab\tnl\ncr\r 😀 𝄞', 'Ætna é ÿ ¤', '\x00ff0000', '\x00', '\x5c780a00',
  '9999-12-31', '9999-12-31 23:59:59', '1000-01-01 00:00:00.000001', '2038-01-19 03:14:07.999999+00',
  '838:59:59', '-838:59:59', 2155, 'c''q', '{x,"y z"}', '{"a": [1, 2.5, null, true], "k\"q": "it''s \\ é"}'),
 (102, 127, 0, 0, 0, 0, false, '0.000000000000000000000000000001', 0.01, 1e-45, 5e-324, B'0', B'0000000001',
  B'0000000000000000000000000000000000000000000000000000000000000000', ' a', '', '', '', '\x20202020', '\x', '\x',
  '1000-01-01', '1000-01-01 00:00:00', '2024-02-29 13:05:09.12', '2024-06-01 12:00:00.5+05:30',
  interval '1 day 02:03:04', interval '-1 days +02:00:00', 1901, 'NULL', '{}', '"just a string"'),
 (103, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (104, 0, 7, 7, 7, 7, true, '-0.5', -0.5, -0, -0, B'1', B'0101010101', B'0000000000000000000000000000000000000000000000000000000000000101', 'x', 'x', 'x', 'x', '\x5c000000', '\x5c78',
  '\x00', '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00.999999', '1970-01-01 00:00:01+00',
  '-00:00:01', '34 days 22:59:59.999999', 2000, 'x\y', '{"y z","NULL","{br}","w\"q",""}', '[1, [2, [3, {}]]]');
UPDATE alltypes SET s = '{x,"y z","NULL"}' WHERE id = 101;
UPDATE alltypes SET vc = 'updated ''once''', j = '{"updated": true}', tm = '-1 days -02:00:00' WHERE id = 1;
UPDATE alltypes SET id = 1002 WHERE id = 2;
DELETE FROM alltypes WHERE id = 3;
BEGIN;
UPDATE alltypes SET id = -4 WHERE id = 4;
UPDATE alltypes SET id = 4 WHERE id = 5;
UPDATE alltypes SET id = 5 WHERE id = -4;
COMMIT;
BEGIN;
UPDATE alltypes SET i = i + 1 WHERE id = 101;
UPDATE alltypes SET i = i + 1, e = 'a' WHERE id = 101;
UPDATE alltypes SET i = i + 1, b10 = B'1111111111' WHERE id = 101;
INSERT INTO alltypes (id, vc) VALUES (200, 'gone in the same transaction');
DELETE FROM alltypes WHERE id = 200;
UPDATE alltypes SET e = NULL, s = NULL, j = NULL WHERE id = 102;
COMMIT;
INSERT INTO "Odd ""Name"" ü" VALUES (4, 'it''s "4"', 'ü4 😀');
UPDATE "Odd ""Name"" ü" SET "v""q" = NULL, "Ünï Cödé" = 'changed' WHERE "Key Col" = 1;
UPDATE "Odd ""Name"" ü" SET "Key Col" = 30 WHERE "Key Col" = 3;
DELETE FROM "Odd ""Name"" ü" WHERE "Key Col" = 2;
DELETE FROM kl WHERE ctid = (SELECT min(ctid) FROM kl WHERE a = 1);
UPDATE kl SET b = 'z', f = 2.5 WHERE a = 2;
UPDATE kl SET t = 'lower' WHERE b = 'ab';
UPDATE kl SET j = '{"k": 2}' WHERE a = 1;
INSERT INTO kl VALUES (4, 'new', NULL, '{"n": null}', 'pad');
TRUNCATE trunc;
INSERT INTO trunc VALUES (7, 'after truncate');
-- Batches: a thousand rows each at most, a megabyte of SQL at most, keys of two columns.
INSERT INTO trunc SELECT g, repeat('v', 19) FROM generate_series(1000, 3999) g;
UPDATE trunc SET v = 'u' || id WHERE id >= 1000;
DELETE FROM trunc WHERE id % 2 = 0 AND id >= 1000;
INSERT INTO "Odd ""Name"" ü" SELECT g, NULL, repeat('ü', 600) FROM generate_series(1000, 2999) g;
DELETE FROM "Odd ""Name"" ü" WHERE "Key Col" >= 2000;
INSERT INTO ck SELECT g % 7, 'k' || g, g FROM generate_series(1, 1500) g;
UPDATE ck SET v = -v WHERE a = 3;
DELETE FROM ck WHERE a IN (4, 5) OR (a = 1 AND b = 'y');
UPDATE ck SET b = 'moved' WHERE a = 2 AND b = 'x';
-- The phase's rows of regions (region A): one leaves the phase (a delete on MariaDB, of the row only if it
-- is region A there), one changes, one is new.
UPDATE regions SET region = 'B' WHERE id = 1;
UPDATE regions SET v = 33 WHERE id = 3;
INSERT INTO regions VALUES (7, 'A', 7);
-- A TOASTed value left unchanged by an update is not sent: the update sets the title only.
UPDATE docs SET title = 'title only' WHERE id = 1;
UPDATE docs SET id = 30, title = 'moved, body unchanged' WHERE id = 3;
UPDATE docs SET id = 20, body = body || 'moved' WHERE id = 2;
-- A second unique key: values swapped through a temporary one, in order, or MariaDB refuses a duplicate.
BEGIN;
UPDATE uq SET u = 'tmp' WHERE id = 1;
UPDATE uq SET u = 'a' WHERE id = 2;
UPDATE uq SET u = 'b', v = 10 WHERE id = 1;
DELETE FROM uq WHERE id = 3;
INSERT INTO uq VALUES (4, 'c', 4);
COMMIT;
BEGIN;
INSERT INTO trg VALUES (3, 3);
DELETE FROM trg WHERE id = 3;
INSERT INTO trg VALUES (3, 30);
DELETE FROM trg WHERE id = 1;
COMMIT;
SQL
gw_failback 0 --stop-when-caught-up -v
# Only the tables without a second unique key or trigger, whose key is integers, are merged by key.
assert_contains "$ERR" "table gw_fb_my.alltypes: changes are merged by key"
assert_contains "$ERR" "table gw_fb_my.uq: changes are not merged by key"
assert_contains "$ERR" "table gw_fb_my.trg: changes are not merged by key"
assert_contains "$ERR" "table gw_fb_my.ck: changes are not merged by key"
assert_eq 0 "$(msql "$DB" "SELECT COUNT(*) FROM trg_log")" "MariaDB's triggers fired for none of failback's changes"
assert_all_equal "after failback of fixed changes"
# godwit's own verify agrees: every mapped type, values written on PostgreSQL in its own spellings.
assert_exit 0 "$GODWIT" verify --source "$(my_url)" --target "$(tgt_url "$DB")" --phase fb
assert_eq "1" "$(msql "$DB" "SELECT COUNT(*) FROM kl WHERE b = 'ab' AND t = 'lower'")" "keyless match tells 'ab' from 'Ab'"
assert_eq "1" "$(msql "$DB" "SELECT COUNT(*) FROM kl WHERE BINARY b = 'Ab' AND t = 'c'")" "'Ab' left alone"
assert_eq "2,B,2;4,B,4;6,B,6" "$(msql "$DB" "SELECT GROUP_CONCAT(CONCAT_WS(',', id, region, v) ORDER BY id SEPARATOR ';') FROM regions WHERE region <> 'A'")" \
    "the rows of regions outside the phase, untouched on MariaDB"
assert_eq "$(stream_name "$DB" fb failback)|fb|failback" "$(msql "" "SELECT CONCAT_WS('|', stream, phase, direction) FROM _godwit.checkpoints WHERE phase = 'fb'")" "the failback stream's checkpoint row"
assert_contains_re <(msql "" "SELECT position FROM _godwit.checkpoints WHERE phase = 'fb'") '^[0-9A-F]+/[0-9A-F]+$'

# ---------------------------------------------------------------- a load, failback killed with -9, a second failback refused
cat >"$GW_OUT/load.sql" <<'SQL'
\set k random(1, 50)
BEGIN;
UPDATE gw_fb_my.counters SET n = n + 1, note = 'load ' || :k WHERE id = :k;
INSERT INTO gw_fb_my.hits (k, seq, at) VALUES (:k, nextval('gw_fb_my.hit_seq'), clock_timestamp());
UPDATE gw_fb_my.alltypes SET i = i + 1 WHERE id = 101;
END;
SQL
setup_tgt "$DB" "CREATE SEQUENCE gw_fb_my.hit_seq"
bg_start LOAD pgbench -n -h 127.0.0.1 -p "$(pg_port "$GW_TGT_SERVER")" -U postgres -f "$GW_OUT/load.sql" -c 2 -R 300 -T 6 "$DB"
LOAD_OUT=$OUT
for k in 1 2 3; do
    bg_failback FB
    rand_sleep 500 1500
    kill -9 "$FB" 2>/dev/null; wait "$FB" 2>/dev/null
    note "failback killed with -9, round $k"
done
# Its connection to MariaDB killed by the server: failback reconnects and resumes from the checkpoint.
bg_failback FB
FB_ERR=$ERR
wait_for 30 grep -q "streaming slot" "$FB_ERR" || fail "failback did not start"
rand_sleep 300 800
msql "" "SELECT CONCAT('KILL ', ID, ';') FROM information_schema.PROCESSLIST WHERE DB = 'gw_fb_my' AND ID <> CONNECTION_ID()" >"$GW_OUT/kill.sql"
msql "" - <"$GW_OUT/kill.sql" 2>/dev/null
note "killed $(wc -l <"$GW_OUT/kill.sql") MariaDB session(s) of failback"
wait_exit "$LOAD" 60; assert_eq 0 "$RC" "the load on the target"
txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$LOAD_OUT")
note "load: $txns transactions on the target"
assert_ge 200 "${txns:-0}" "transactions of the load"
wait_for 60 synced_or_gone "$FB" hits_synced || fail "failback did not catch up after its MariaDB session was killed"
is_running "$FB" || { fail "failback exited after its MariaDB session was killed"; _gw_dump "$FB_ERR" "failback stderr"; }
# One runner per stream: a second failback of the phase is refused at once (its lock is on MariaDB),
# naming the first, which goes on undisturbed.
reconnects_before=$(grep -c "reconnecting" "$FB_ERR")
GW_CMD_TIMEOUT=30 gw_failback 2
assert_contains "$ERR" "pid $FB"
assert_short_message "$ERR"
setup_tgt "$DB" "UPDATE gw_fb_my.counters SET note = 'after a second failback was refused' WHERE id = 1"
second_refused_synced() { [ "$(msql "$DB" "SELECT note FROM counters WHERE id = 1")" = "after a second failback was refused" ]; }
wait_for 30 second_refused_synced || fail "failback did not apply a change made after a second failback was refused"
is_running "$FB" || fail "failback exited after a second failback was refused"
assert_eq "$reconnects_before" "$(grep -c "reconnecting" "$FB_ERR")" "failback's reconnects after a second failback was refused"
stop_bg "$FB" 30 TERM
assert_eq 0 "$RC" "exit status of failback after SIGTERM"
assert_contains "$FB_ERR" "reconnecting"
gw_failback 0 --stop-when-caught-up
assert_all_equal "after the load with kill -9"
assert_eq "$txns" "$(msql "$DB" "SELECT COUNT(*) FROM hits")" "hits rows on MariaDB (one per transaction: none twice, none lost)"
assert_eq "$txns" "$(msql "$DB" "SELECT SUM(n) FROM counters")" "counter increments on MariaDB"

# ---------------------------------------------------------------- another migration of the same database
# Phase other, fetched into another target database (T2), is another migration of this MariaDB
# database: what this migration's failback wrote into MariaDB is the source's data for it, and must
# reach T2 like the application's writes (skip_replication names no migration, so it is no echo
# there); failback's DDL (its `_godwit` state) does not stop it.
setup_m "$DB" "INSERT INTO counters VALUES (51, 0, 'written by the application')"
assert_exit 0 "$GODWIT" replicate --source "$(my_url)" --target "$(tgt_url "$T2")" --phase other --stop-when-caught-up
assert_eq "written by the application" "$(psql_tgt "$T2" "SELECT note FROM gw_fb_my.counters WHERE id = 51")" "the application's write reaches phase other"
assert_ne "0" "$(msql "$DB" "SELECT SUM(n) FROM counters")" "increments failback wrote into MariaDB"
assert_eq "$(msql "$DB" "SELECT COUNT(*), SUM(n) FROM counters" | tr '\t' ' ')" \
    "$(psql_tgt "$T2" "SELECT count(*) || ' ' || sum(n) FROM gw_fb_my.counters")" "counters of the other migration against MariaDB (failback's increments included)"
assert_eq "$(msql "$DB" "SELECT vc FROM alltypes WHERE id = 1")" "$(psql_tgt "$T2" "SELECT vc FROM gw_fb_my.alltypes WHERE id = 1")" \
    "failback's update reached the other migration"
assert_eq "$(msql "$DB" "SELECT COUNT(*) FROM alltypes WHERE id IN (101, 102, 104, 1002)")" \
    "$(psql_tgt "$T2" "SELECT count(*) FROM gw_fb_my.alltypes WHERE id IN (101, 102, 104, 1002)")" "failback's inserts reached the other migration"
assert_eq "$(msql "$DB" "SELECT COUNT(*) FROM alltypes")" "$(psql_tgt "$T2" "SELECT count(*) FROM gw_fb_my.alltypes")" \
    "alltypes rows of the other migration against MariaDB"

# ---------------------------------------------------------------- a truncate of a table phases share
# Only the phase's rows go: a DELETE guarded by the phase's predicate.
setup_tgt "$DB" "TRUNCATE gw_fb_my.regions"
gw_failback 0 --stop-when-caught-up
assert_eq "2,4,6" "$(msql "$DB" "SELECT GROUP_CONCAT(id ORDER BY id) FROM regions")" "regions on MariaDB after a TRUNCATE of phase fb's rows"

# ---------------------------------------------------------------- a value MySQL cannot hold
setup_tgt "$DB" "UPDATE gw_fb_my.alltypes SET tm = '1 mon 2 days' WHERE id = 1"
gw_failback 3 --stop-when-caught-up
assert_contains "$ERR" "gw_fb_my.alltypes, column tm"
assert_contains "$ERR" "1 mon 2 days"
assert_contains "$ERR" "months"
finish
