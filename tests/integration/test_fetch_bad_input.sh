#!/usr/bin/env bash
# Bad input: one clear message, the documented exit code (2 usage/configuration, 3 source, 4 target),
# nothing created on the target and no slot left on the source; passwords never in the output.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_bad) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 100) i;"
S=$(src_url "$DB")
T=$(tgt_url "$DB")
PW='Zq9-pw-Kx7wQ-unlikely'

# nothing_happened WHAT: after a failure before any data moves.  If something was left behind, it
# is reported and cleaned, so that the following cases are judged on their own.
nothing_happened() {
    local ok=1
    GW_CONTEXT="after $1"
    assert_no_user_tables "$DB" || ok=""
    assert_no_slot "$DB" || ok=""
    GW_CONTEXT=""
    if [ -z "$ok" ]; then
        note "(after: $1) resetting the target database and the source's slots"
        reset_stream "$DB"
        dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --force "$DB" && createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$DB"
    fi
}

# --- usage
assert_exit 0 "$GODWIT" fetch --help
assert_contains "$OUT" "--source"
assert_contains "$OUT" "--target"
assert_contains "$OUT" "--resume"
assert_exit 0 "$GODWIT" --help
assert_contains "$OUT" "fetch"
assert_exit 0 "$GODWIT" --version
assert_contains_re "$OUT" "[0-9]+\.[0-9]+"

assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --no-such-option
assert_contains "$ERR" "no-such-option"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" fetch --target "$T"
assert_contains "$ERR" "--source"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" fetch --source "$S"
assert_contains "$ERR" "--target"
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --jobs abc
assert_contains "$ERR" "jobs"
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --jobs 0
assert_contains "$ERR" "jobs"
assert_exit 2 "$GODWIT" fetch --source "$S" --target "$T" --format xml
assert_contains "$ERR" "format"
assert_exit 2 "$GODWIT" no-such-command
assert_contains "$ERR" "no-such-command"
nothing_happened "usage errors"

# --- malformed URLs
for bad in "not a url" "postgres://127.0.0.1:notaport/db" "http://127.0.0.1:$SRC_PORT/$DB" "postgres://[::1/db"; do
    assert_exit 2 "$GODWIT" fetch --source "$bad" --target "$T"
    assert_contains_re "$ERR" "url|source"
    assert_short_message "$ERR"
done
assert_exit 2 "$GODWIT" fetch --source "$S" --target "postgres://127.0.0.1:99999/x"
assert_contains_re "$ERR" "url|target|port"
nothing_happened "malformed URLs"

# --- servers that do not answer
NOPORT=$(free_port)
assert_exit 3 "$GODWIT" fetch --source "postgres://postgres@127.0.0.1:$NOPORT/$DB" --target "$T"
assert_contains "$ERR" "source"
assert_contains "$ERR" "$NOPORT"
assert_short_message "$ERR"
# libpq's second line (a tab, "Is the server running ...") joins the first as a sentence of one line.
assert_contains "$ERR" "Connection refused; Is the server running"
assert_exit 4 "$GODWIT" fetch --source "$S" --target "postgres://postgres@127.0.0.1:$NOPORT/$DB"
assert_contains "$ERR" "target"
assert_contains "$ERR" "$NOPORT"
assert_short_message "$ERR"
nothing_happened "servers that do not answer"

# --- source database does not exist
assert_exit 3 "$GODWIT" fetch --source "$(src_url gw_no_such_db)" --target "$T"
assert_contains "$ERR" "gw_no_such_db"
assert_short_message "$ERR"
nothing_happened "missing source database"
# --- target database does not exist
assert_exit 4 "$GODWIT" fetch --source "$S" --target "$(tgt_url gw_no_such_db)"
assert_contains "$ERR" "gw_no_such_db"
nothing_happened "missing target database"

# --- wrong password (pg_hba.conf asks pwuser for a scram password on 127.0.0.1)
setup_src postgres "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pwuser') THEN CREATE ROLE pwuser LOGIN REPLICATION; END IF; END\$\$;
    ALTER ROLE pwuser PASSWORD 'right-$PW';"
setup_src "$DB" "GRANT SELECT ON ALL TABLES IN SCHEMA public TO pwuser"
assert_exit 3 "$GODWIT" fetch --source "postgres://pwuser:$PW@127.0.0.1:$SRC_PORT/$DB" --target "$T"
assert_contains_re "$ERR" "password|authentication"
assert_not_contains "$OUT" "$PW"
assert_not_contains "$ERR" "$PW"
assert_short_message "$ERR"
assert_exit 3 env PGPASSWORD="$PW" "$GODWIT" fetch --source "postgres://pwuser@127.0.0.1:$SRC_PORT/$DB" --target "$T"
assert_contains_re "$ERR" "password|authentication"
assert_not_contains "$ERR" "$PW"
# The same with --log-format json.
assert_exit 3 "$GODWIT" fetch --source "postgres://pwuser:$PW@127.0.0.1:$SRC_PORT/$DB" --target "$T" --log-format json
assert_not_contains "$ERR" "$PW"
assert_not_contains "$OUT" "$PW"
nothing_happened "wrong password"

# Success with a password in the target URL: the password is in no output (summary, logs, JSON).
setup_tgt postgres "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pwuser') THEN CREATE ROLE pwuser LOGIN; END IF; END\$\$;
    ALTER ROLE pwuser PASSWORD 'tgt-$PW';"
DBP=$(new_dbs gw_bad_pw) || abort_test "createdb"
register_dbs "$DBP"
setup_tgt postgres "ALTER DATABASE $DBP OWNER TO pwuser"
setup_src "$DBP" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'x');"
assert_exit 0 "$GODWIT" fetch --source "$(src_url "$DBP")" --target "postgres://pwuser:tgt-$PW@127.0.0.1:$TGT_PORT/$DBP" --no-stream
assert_not_contains "$OUT" "$PW"
assert_not_contains "$ERR" "$PW"
assert_exit 0 "$GODWIT" fetch --source "$(src_url "$DBP")" --target "postgres://pwuser:tgt-$PW@127.0.0.1:$TGT_PORT/$DBP" --no-stream --schema drop-create --format json --log-format json
assert_not_contains "$OUT" "$PW"
assert_not_contains "$ERR" "$PW"
assert_tables_equal "$DBP" "$DBP" public.t id

# --- a user without the REPLICATION privilege (streaming needs it)
setup_src postgres "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'norepl') THEN CREATE ROLE norepl LOGIN; END IF; END\$\$"
setup_src "$DB" "GRANT SELECT ON ALL TABLES IN SCHEMA public TO norepl"
assert_exit 2 "$GODWIT" fetch --source "$(pg_url src "$DB" norepl)" --target "$T"
assert_contains "$ERR" "replication"
assert_contains "$ERR" "norepl"
assert_short_message "$ERR"
nothing_happened "no REPLICATION privilege"
# --no-stream needs no REPLICATION privilege (a plain exported snapshot).
assert_exit 0 "$GODWIT" fetch --source "$(pg_url src "$DB" norepl)" --target "$T" --no-stream
assert_tables_equal "$DB" "$DB" public.t id
assert_no_slot "$DB"
DB_T2=$(new_dbs gw_bad_2) || abort_test "createdb"
register_dbs "$DB_T2"

# --- wal_level = replica on a third server: streaming refused, --no-stream works
pg_server_start walrep wal_level=replica || abort_test "could not start the wal_level=replica server"
createdb -h 127.0.0.1 -p "$WALREP_PORT" -U postgres "$DB" || abort_test "createdb on walrep"
psql_on walrep "$DB" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'w' || i FROM generate_series(1, 50) i;" >/dev/null ||
    abort_test "setup on walrep"
assert_exit 2 "$GODWIT" fetch --source "$(pg_url walrep "$DB")" --target "$(tgt_url "$DB_T2")"
assert_contains "$ERR" "wal_level"
assert_short_message "$ERR"
assert_eq 0 "$(user_tables tgt "$DB_T2")" "user tables on target after the wal_level error"
assert_no_slot "$DB" walrep
assert_exit 0 "$GODWIT" fetch --source "$(pg_url walrep "$DB")" --target "$(tgt_url "$DB_T2")" --no-stream
if [ "$RC" = 0 ]; then
    a=$(psql_on walrep "$DB" "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) || ' ' || count(*) FROM t")
    b=$(psql_tgt "$DB_T2" "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) || ' ' || count(*) FROM t" 2>&1)
    assert_eq "$a" "$b" "table t copied from the wal_level=replica server with --no-stream"
fi
assert_no_slot "$DB" walrep
pg_server_stop walrep

# --- a privilege the user lacks, met at run time: exit 2 (the operator grants it), naming what was refused
psql_tgt "$DB" "DROP ROLE IF EXISTS gw_nopriv; CREATE ROLE gw_nopriv LOGIN" >/dev/null || abort_test "role"
assert_exit 2 "$GODWIT" status --target "$(pg_url "$GW_TGT_SERVER" "$DB" gw_nopriv)"
assert_contains "$ERR" "permission denied"
assert_contains "$ERR" "docs/privileges.md"
assert_contains "$ERR" "TO \"gw_nopriv\""
assert_short_message "$ERR"
psql_tgt "$DB" "DROP ROLE gw_nopriv" >/dev/null

finish
