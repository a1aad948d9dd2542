#!/usr/bin/env bash
# MariaDB source, bad input: one clear message, the documented exit code (2 usage/configuration,
# 3 source error: unreachable, wrong password, missing database), nothing created on the target, and
# passwords in no output.  Cases: malformed URL, unreachable server, wrong password (URL and
# MYSQL_PWD), unknown database, a glob that matches no table, binlog_format=STATEMENT (a second
# server), a user without replication privileges, zero dates without --zero-dates, an unsupported
# type, an unsupported character set, MySQL options with a PostgreSQL source, a bad --type-map file,
# MySQL as a target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_bad) || abort_test "create databases"
register_mdbs "$DB"
setup_m "$DB" "CREATE TABLE t (id int PRIMARY KEY, v varchar(10)); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
T=$(tgt_url "$DB")
PW='Zq9-my-pw-unlikely'

untouched() {
    GW_CONTEXT="after $1"
    assert_no_user_tables "$DB"
    assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" "_godwit schema on the target"
    GW_CONTEXT=""
}

# --- malformed URLs and unreachable servers
assert_exit 2 "$GODWIT" fetch --source "mysql://root:$PW@127.0.0.1:99999/$DB" --target "$T"
assert_contains_re "$ERR" "port"
assert_not_contains "$ERR" "$PW"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" fetch --source "mysql://127.0.0.1:$MSRC_PORT/$DB?sslmode=x" --target "$T"
assert_contains "$ERR" "sslmode"
NOPORT=$(free_port)
assert_exit 3 "$GODWIT" fetch --source "mysql://root:$PW@127.0.0.1:$NOPORT/$DB" --target "$T"
assert_contains "$ERR" "source"
assert_contains "$ERR" "$NOPORT"
assert_not_contains "$ERR" "$PW"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" fetch --source "$T" --target "$(m_url "$DB")"
assert_contains "$ERR" "source only"
untouched "malformed URLs"

# --- wrong password (pwuser's is "secret"), in the URL and in MYSQL_PWD; then the right one
assert_exit 3 "$GODWIT" fetch --source "mysql://pwuser:$PW@127.0.0.1:$MSRC_PORT/$DB" --target "$T"
assert_contains "$ERR" "Access denied"
assert_not_contains "$ERR" "$PW"
assert_not_contains "$OUT" "$PW"
assert_short_message "$ERR"
assert_exit 3 env MYSQL_PWD="$PW" "$GODWIT" fetch --source "mysql://pwuser@127.0.0.1:$MSRC_PORT/$DB" --target "$T" --log-format json
assert_contains "$ERR" "Access denied"
assert_not_contains "$ERR" "$PW"
untouched "wrong password"
assert_exit 0 env MYSQL_PWD=secret "$GODWIT" fetch --source "mysql://pwuser@127.0.0.1:$MSRC_PORT/$DB" --target "$T" --no-stream
assert_not_contains "$ERR" "secret"
assert_not_contains "$OUT" "secret"
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM gw_my_bad.t" 2>&1)" "rows copied with the password from MYSQL_PWD"
DB2=gw_my_bad_2
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$DB2" || abort_test "createdb"
register_dbs "$DB2"
T=$(tgt_url "$DB2")
untouched() {
    GW_CONTEXT="after $1"
    assert_no_user_tables "$DB2"
    GW_CONTEXT=""
}

# --- unknown database, unknown table
assert_exit 3 "$GODWIT" fetch --source "$(m_url gw_no_such_db)" --target "$T"
assert_contains "$ERR" "gw_no_such_db"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --tables "$DB.no_such_*"
assert_contains "$ERR" "no_such_*"
assert_short_message "$ERR"
untouched "unknown database and table"

# --- a user without the replication privileges: streaming refused, --no-stream works
setup_m "" "CREATE USER IF NOT EXISTS 'selonly'@'127.0.0.1'; GRANT SELECT ON \`$DB\`.* TO 'selonly'@'127.0.0.1'"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB" selonly)" --target "$T"
assert_contains "$ERR" "REPLICATION SLAVE"
assert_contains "$ERR" "--no-stream"
assert_short_message "$ERR"
untouched "no replication privilege"
assert_exit 0 "$GODWIT" fetch --source "$(m_url "$DB" selonly)" --target "$T" --no-stream --jobs 1
assert_eq 2 "$(psql_tgt "$DB2" "SELECT count(*) FROM gw_my_bad.t" 2>&1)" "rows copied without RELOAD or replication privileges (--no-stream)"
DB3=gw_my_bad_3
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$DB3" || abort_test "createdb"
register_dbs "$DB3"
T=$(tgt_url "$DB3")
untouched() {
    GW_CONTEXT="after $1"
    assert_no_user_tables "$DB3"
    GW_CONTEXT=""
}

# --- zero dates, unsupported types and character sets: refused before anything is created
setup_m "$DB" "SET SESSION sql_mode = ''; CREATE TABLE zd (id int PRIMARY KEY, d date, dt datetime NOT NULL);
    INSERT INTO zd VALUES (1, '2020-01-01', '2020-01-01 00:00:00'), (7, '2020-01-02', '0000-00-00 00:00:00')"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T"
assert_contains "$ERR" "gw_my_bad.zd"
assert_contains "$ERR" "column dt"
assert_contains "$ERR" "(id)=(7)"
assert_contains "$ERR" "--zero-dates null"
assert_short_message "$ERR"
untouched "zero dates"
setup_m "$DB" "CREATE TABLE geo (id int PRIMARY KEY, place geometry)"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --exclude zd
assert_contains "$ERR" "gw_my_bad.geo"
assert_contains "$ERR" "column place"
assert_contains "$ERR" "geometry"
assert_short_message "$ERR"
untouched "unsupported type"
setup_m "$DB" "CREATE TABLE u16 (id int PRIMARY KEY, s varchar(10) CHARACTER SET utf16)"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --exclude zd,geo
assert_contains "$ERR" "column s"
assert_contains "$ERR" "utf16"
untouched "unsupported character set"
assert_exit 2 "$GODWIT" fetch --source "$(src_url postgres)" --target "$T" --zero-dates null
assert_contains "$ERR" "MySQL/MariaDB sources only"
echo '{"x": 1}' >"$GW_OUT/bad_map.json"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --type-map "$GW_OUT/bad_map.json" --exclude zd,geo,u16
assert_contains "$ERR" "type-map"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --type-map "$GW_OUT/no_such_file.json"
assert_contains "$ERR" "no_such_file"
assert_exit 2 "$GODWIT" fetch --source "$(m_url "$DB")" --target "$T" --zero-dates maybe
assert_contains "$ERR" "zero-dates"
untouched "bad options"

# --- binlog_format=STATEMENT on a second server: streaming refused, --no-stream works
mariadb_server_start mstmt --binlog-format=STATEMENT || abort_test "could not start the STATEMENT server"
mariadb_sql mstmt -e "CREATE DATABASE $DB; CREATE TABLE $DB.t (id int PRIMARY KEY); INSERT INTO $DB.t VALUES (1), (2), (3)" ||
    abort_test "setup on mstmt"
assert_exit 2 "$GODWIT" fetch --source "mysql://root@127.0.0.1:$MSTMT_PORT/$DB" --target "$T"
assert_contains "$ERR" "binlog_format"
assert_contains "$ERR" "STATEMENT"
assert_short_message "$ERR"
untouched "binlog_format=STATEMENT"
assert_exit 0 "$GODWIT" fetch --source "mysql://root@127.0.0.1:$MSTMT_PORT/$DB" --target "$T" --no-stream
assert_eq 3 "$(psql_tgt "$DB3" "SELECT count(*) FROM gw_my_bad.t" 2>&1)" "rows copied from the STATEMENT server with --no-stream"
mariadb_server_stop mstmt
finish
