#!/usr/bin/env bash
# MariaDB zero dates ('0000-00-00', a zero month or day, year 0) in DATE, DATETIME and TIMESTAMP
# columns: refused by default, every column holding one named at once with a key and a count (also
# in test_mysql_fetch_bad_input), loaded as NULL with
# --zero-dates null: a NOT NULL column becomes nullable on the target only when its rows hold zero
# dates (named with the count) or its default is one (dropped); the others keep NOT NULL, so the
# target refuses a NULL there (failback could not write it); verify calls that equal; a zero date
# written later into a column that kept its NOT NULL stops replicate naming the column;
# while an impossible date ('2020-02-30') is still refused by name.  Rows outside a --where are not
# looked at.  The option is kept with the phase: --resume takes it, and a different one is refused.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_zero) || abort_test "create databases"
register_mdbs "$DB"
T2=gw_my_zero_2
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"

setup_m "$DB" - <<'SQL'
SET SESSION sql_mode = 'ALLOW_INVALID_DATES', time_zone = '+00:00';
CREATE TABLE zd (id int PRIMARY KEY, d date, dt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  ts timestamp NOT NULL DEFAULT '0000-00-00 00:00:00', dt6 datetime(6));
INSERT INTO zd VALUES
  (1, '2020-01-01', '2020-01-01 10:00:00', '2020-01-01 10:00:00', '2020-01-01 10:00:00.123456'),
  (2, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000'),
  (3, '2020-00-15', '2020-05-00 00:00:00', '2020-01-01 00:00:00', NULL),
  (4, '0000-01-01', '2024-02-29 23:59:59', '0000-00-00 00:00:00', '0000-01-01 00:00:00.5');
CREATE TABLE bad (id int PRIMARY KEY, d date);
INSERT INTO bad VALUES (1, '2020-01-01'), (2, '2020-02-30');
CREATE TABLE nn (id int PRIMARY KEY, held date NOT NULL, clean date NOT NULL, clean_dt datetime(6) NOT NULL,
  region char(1) NOT NULL, other_rows date NOT NULL);
INSERT INTO nn VALUES (1, '2020-01-01', '2020-01-01', '2020-01-01 00:00:00', 'a', '2020-01-01'),
  (2, '0000-00-00', '2020-01-02', '2020-01-02 00:00:00', 'a', '2020-01-01'),
  (3, '2020-00-03', '2020-01-03', '2020-01-03 00:00:00', 'a', '2020-01-01'),
  (4, '2020-01-04', '2020-01-04', '2020-01-04 00:00:00', 'b', '0000-00-00');
CREATE TABLE partial (id int PRIMARY KEY, d date);
INSERT INTO partial VALUES (1, '2020-01-01'), (2, '2021-06-30'), (5, '0000-00-00');
SQL

# By default every column holding zero dates is named in one refusal, with a key and a count each.
gw_mfetch 2 "$DB" "$DB" --tables gw_my_zero.zd
for col in d dt ts dt6; do
    assert_contains "$ERR" "gw_my_zero.zd, column $col, key (id)="
done
assert_contains_re "$ERR" "column ts, key \(id\)=\(2\): value '0000-00-00 00:00:00' .*\(2 row\(s\) of the table hold such values\)"
assert_no_user_tables "$DB"

# An impossible date is no zero date: still refused.
gw_mfetch 2 "$DB" "$DB" --zero-dates null
assert_contains "$ERR" "gw_my_zero.bad, column d, key (id)=(2): value '2020-02-30' is not a valid date"
assert_short_message "$ERR" 8
assert_no_user_tables "$DB"

gw_mfetch 0 "$DB" "$DB" --zero-dates null --exclude bad,partial --where "gw_my_zero.nn: region = 'a'"
assert_eq "1|2020-01-01|2020-01-01 10:00:00|2020-01-01 10:00:00+00|2020-01-01 10:00:00.123456,2|<null>|<null>|<null>|<null>,3|<null>|<null>|2020-01-01 00:00:00+00|<null>,4|<null>|2024-02-29 23:59:59|<null>|<null>" \
    "$(psql_tgt "$DB" "SELECT string_agg(concat_ws('|', id, coalesce(d::text, '<null>'), coalesce(dt::text, '<null>'), coalesce(ts::text, '<null>'), coalesce(dt6::text, '<null>')), ',' ORDER BY id) FROM gw_my_zero.zd")" \
    "zero dates loaded as NULL"
assert_eq "d|t|,dt|t|,dt6|t|,id|f|,ts|t|" \
    "$(psql_tgt "$DB" "SELECT string_agg(column_name || '|' || (is_nullable = 'YES') || '|' || coalesce(column_default, ''), ',' ORDER BY column_name) FROM information_schema.columns WHERE table_schema = 'gw_my_zero' AND table_name = 'zd'" | sed 's/true/t/g; s/false/f/g')" \
    "date columns nullable, zero-date defaults dropped"
assert_contains "$ERR" "nullable on the target"
assert_contains "$ERR" "column held is nullable on the target: 2 row(s) hold zero dates"
assert_eq "clean|f,clean_dt|f,held|t,id|f,other_rows|f,region|f" \
    "$(psql_tgt "$DB" "SELECT string_agg(column_name || '|' || (is_nullable = 'YES'), ',' ORDER BY column_name) FROM information_schema.columns WHERE table_schema = 'gw_my_zero' AND table_name = 'nn'" | sed 's/true/t/g; s/false/f/g')" \
    "NOT NULL kept where the phase's rows hold no zero date"
psql_tgt "$DB" "INSERT INTO gw_my_zero.nn VALUES (9, '2020-01-01', NULL, '2020-01-01', 'a', '2020-01-01')" >/dev/null 2>"$GW_OUT/nn.err" &&
    fail "the target took a NULL in a column NOT NULL on the source"
assert_contains "$GW_OUT/nn.err" "clean"
assert_exit 0 "$GODWIT" verify --source "$(m_url "$DB")" --target "$(tgt_url "$DB")"
# A zero date written now where NOT NULL was kept: replicate stops, naming the column.
setup_m "$DB" "SET SESSION sql_mode = ''; UPDATE nn SET clean = '0000-00-00' WHERE id = 1"
assert_exit 4 "$GODWIT" replicate --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --stop-when-caught-up
assert_contains "$ERR" 'null value in column "clean"'
setup_m "$DB" "UPDATE nn SET clean = '2020-01-01' WHERE id = 1"
# --resume takes the phase's options; different ones are refused (and so is another selection of tables).
gw_mfetch 2 "$DB" "$DB" --resume --zero-dates error --exclude bad,partial --where "gw_my_zero.nn: region = 'a'"
assert_contains "$ERR" "--zero-dates"
assert_contains "$ERR" "--resume must give the same"
assert_contains "$ERR" "--zero-dates was \"null\" and is now \"error\""
gw_mfetch 2 "$DB" "$DB" --resume
assert_contains "$ERR" "table gw_my_zero.bad is selected now but was not"
gw_mfetch 0 "$DB" "$DB" --resume --exclude bad,partial --where "gw_my_zero.nn: region = 'a'"
assert_contains "$ERR" '"zero_dates": "null"'

# A row outside the phase's --where is not looked at.
gw_mfetch 0 "$DB" "$T2" --tables "$DB.partial" --where "$DB.partial: id < 5"
assert_eq "1|2020-01-01,2|2021-06-30" "$(psql_tgt "$T2" "SELECT string_agg(id || '|' || d, ',' ORDER BY id) FROM gw_my_zero.partial")" "rows of the phase"
finish
