#!/usr/bin/env bash
# Passwords stay secret (PostgreSQL -> PostgreSQL, role pwuser with a scram password on both servers):
# - fetch with --source env:NAME and --target file:PATH works (rows equal by independent SQL), and
#   replicate with GODWIT_SOURCE_URL / GODWIT_TARGET_URL and no URL option works;
# - replicate started with password URLs: while it runs, /proc/PID/cmdline and ps show no password (and
#   it streams: a row inserted on the source reaches the target); stopped by SIGTERM, it prints its
#   command line to go on with, passwords masked;
# - bad connection strings holding the password (libpq keyword/value strings, quoted or not, a URL with a
#   bad port, an unterminated bracket, a password with an unencoded '/', a MySQL URL with an unterminated
#   bracket, a URL given as a stray argument, a wrong password): exit 2 or 3 and the password is nowhere
#   in stdout or stderr; a missing env: variable or file: file is a usage error (exit 2).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_secrets) || abort_test "createdb"
register_dbs "$DB"
PW="s3cr3t-$RANDOM$RANDOM"
TPW="t4rg3t-$RANDOM$RANDOM"
for side in src tgt; do
    pw=$PW; [ "$side" = tgt ] && pw=$TPW
    "setup_$side" postgres "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pwuser') THEN
        CREATE ROLE pwuser LOGIN; END IF; END\$\$; ALTER ROLE pwuser SUPERUSER REPLICATION PASSWORD '$pw'"
done
# Other tests of the lane expect pwuser without privileges.
cleanup_role() {
    psql_src postgres "ALTER ROLE pwuser NOSUPERUSER NOREPLICATION" >/dev/null 2>&1
    psql_tgt postgres "ALTER ROLE pwuser NOSUPERUSER NOREPLICATION" >/dev/null 2>&1
}
SRC_PW_URL="postgres://pwuser:$PW@127.0.0.1:$(pg_port "$GW_SRC_SERVER")/$DB"
TGT_PW_URL="postgres://pwuser:$TPW@127.0.0.1:$(pg_port "$GW_TGT_SERVER")/$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE items (id integer PRIMARY KEY, v text);
INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 500) i;
SQL

# no_secret WHAT: neither password in the last command's stdout or stderr.
no_secret() {
    assert_not_contains "$OUT" "$PW"
    assert_not_contains "$ERR" "$PW"
    assert_not_contains "$ERR" "$TPW"
}

# ---------------------------------------------------------------- env: and file: forms
printf '%s\n' "$TGT_PW_URL" >"$GW_OUT/target.url"
chmod 600 "$GW_OUT/target.url"
assert_exit 0 env GW_SECRET_SRC="$SRC_PW_URL" "$GODWIT" fetch --source env:GW_SECRET_SRC --target "file:$GW_OUT/target.url" \
    --phase sec
no_secret "fetch with env: and file:"
assert_tables_equal "$DB" "$DB" public.items t.id
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'sec'")" "phase status"

# ---------------------------------------------------------------- the process list while replicate runs
bg_start R "$GODWIT" replicate --source "$SRC_PW_URL" --target "$TGT_PW_URL" --phase sec
R_ERR=$ERR
wait_for 30 grep -q "starting from\|resuming from" "$R_ERR" || fail "replicate did not start: $(_gw_first_lines "$R_ERR")"
is_running "$R" || abort_test "replicate exited: $(_gw_first_lines "$R_ERR")"
CMDLINE=$GW_OUT/cmdline.txt
tr '\0' ' ' <"/proc/$R/cmdline" >"$CMDLINE"
note "cmdline of replicate: $(cat "$CMDLINE")"
assert_contains "$CMDLINE" "replicate --source postgres://pwuser:"
assert_not_contains "$CMDLINE" "$PW"
assert_not_contains "$CMDLINE" "$TPW"
ps -o args= -p "$R" >"$GW_OUT/ps.txt"
assert_contains "$GW_OUT/ps.txt" "replicate --source"
assert_not_contains "$GW_OUT/ps.txt" "$PW"
setup_src "$DB" "INSERT INTO items VALUES (1001, 'while the password is hidden')"
row_arrived() { [ "$(psql_tgt "$DB" "SELECT count(*) FROM items WHERE id = $1")" = 1 ]; }
wait_for 30 row_arrived 1001 ||
    fail "replicate with hidden passwords did not stream"
tr '\0' ' ' <"/proc/$R/cmdline" >"$CMDLINE"
assert_not_contains "$CMDLINE" "$PW"
stop_bg "$R"
assert_eq 0 "$RC" "replicate stops cleanly"
assert_not_contains "$R_ERR" "$PW"
# Stopped by SIGTERM, it says how to go on: its command line, passwords masked.
assert_contains "$R_ERR" "goes on from its checkpoint with: godwit replicate --source 'postgres://pwuser:***@127.0.0.1:"

# ---------------------------------------------------------------- the default environment variables
setup_src "$DB" "INSERT INTO items VALUES (1002, 'through GODWIT_SOURCE_URL')"
assert_exit 0 env GODWIT_SOURCE_URL="$SRC_PW_URL" GODWIT_TARGET_URL="$TGT_PW_URL" "$GODWIT" replicate --phase sec \
    --stop-when-caught-up
no_secret "replicate with GODWIT_SOURCE_URL and GODWIT_TARGET_URL"
assert_tables_equal "$DB" "$DB" public.items t.id

# ---------------------------------------------------------------- messages about bad connection strings
T=$(tgt_url "$DB")
SP=$(pg_port "$GW_SRC_SERVER")
bad() {   # CODE WHAT SOURCE
    GW_CONTEXT=$2
    assert_exit "$1" "$GODWIT" fetch --source "$3" --target "$T" --phase bad
    no_secret "$2"
    assert_eq 1 "$(grep -c . "$ERR")" "one line on stderr"
    GW_CONTEXT=""
}
bad 2 "keyword string" "host=127.0.0.1 port=$SP user=pwuser password=$PW dbname=$DB"
bad 2 "keyword string, quoted" "host=127.0.0.1 password = '$PW x' dbname=$DB"
bad 2 "keyword string, missing =" "host=127.0.0.1 password $PW"
bad 2 "keyword string, unquoted space" "host=127.0.0.1 password=${PW:0:4} ${PW:4}"
assert_not_contains "$ERR" "${PW:4}"
bad 2 "URL with a bad port" "postgres://pwuser:$PW@127.0.0.1:badport/$DB"
bad 2 "URL with an unterminated bracket" "postgres://pwuser:$PW@[::1/$DB"
bad 2 "URL with an unencoded /" "postgres://pwuser:${PW:0:4}/${PW:4}@127.0.0.1:$SP/$DB"
bad 2 "MySQL URL with an unterminated bracket" "mysql://pwuser:$PW@[::1/db"
bad 2 "MySQL URL with an unencoded /" "mysql://pwuser:${PW:0:4}/${PW:4}@127.0.0.1/db"
bad 3 "wrong password" "postgres://pwuser:x$PW@127.0.0.1:$SP/$DB"
GW_CONTEXT="stray argument"
assert_exit 2 "$GODWIT" fetch "$SRC_PW_URL" --target "$T"
no_secret "stray argument"
GW_CONTEXT="missing env:"
assert_exit 2 "$GODWIT" fetch --source env:GW_SECRET_NOT_SET --target "$T"
assert_contains "$ERR" "GW_SECRET_NOT_SET"
GW_CONTEXT="missing file:"
assert_exit 2 "$GODWIT" fetch --source "file:$GW_OUT/no-such-file" --target "$T"
assert_contains "$ERR" "no-such-file"
GW_CONTEXT=""
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.phases WHERE name = 'bad'")" "no phase made by the bad runs"

cleanup_role
finish
