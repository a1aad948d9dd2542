#!/usr/bin/env bash
# godwit preflight, PostgreSQL -> PostgreSQL: every check on servers that pass, then each kind of
# problem an operator meets, named on its own line with the reason and exit 2: an unreachable source
# (the checks that need it skipped), a source user without the REPLICATION right, a row filter on a
# column the table lacks, a table with rows already on the target; --format json; and nothing
# written on either side (no state, slot or publication); a user failback could not write back with
# (its state, the replica setting for a table with a trigger).  MariaDB: test_preflight_mysql.sh.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_preflight) || abort_test "createdb"
TGT=$(new_dbs gw_preflight_t) || abort_test "createdb"
register_dbs "$SRC" "$TGT"
setup_src "$SRC" - <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, amount numeric(10,2));
INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, g FROM generate_series(1, 100) g;
CREATE TABLE notes (id int PRIMARY KEY, body text);
SQL
pf() {   # CODE SOURCE_URL TARGET_URL ARGS...
    local code=$1 s=$2 t=$3; shift 3
    assert_exit "$code" "$GODWIT" preflight --source "$s" --target "$t" "$@"
}
nothing_written() {   # WHAT
    assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$SRC")" "$1: slots on the source"
    assert_eq 0 "$(psql_src "$SRC" "SELECT count(*) FROM pg_publication")" "$1: publications on the source"
    assert_eq 0 "$(psql_tgt "$TGT" "SELECT count(*) FROM pg_namespace WHERE nspname IN ('_godwit', 'public') AND
        EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = pg_namespace.oid)")" "$1: tables on the target"
}

# Everything passes.
pf 0 "$(src_url "$SRC")" "$(tgt_url "$TGT")" --where "public.orders: region = 'a'"
for check in "source connection: PostgreSQL" "target connection: PostgreSQL" "tables: 2 selected" \
    "source settings, privileges and values" "row filters" "column types on the target" "target tables"; do
    assert_contains_re "$OUT" "^ok +$check"
done
assert_contains "$OUT" "preflight: the migration can start"
assert_not_contains "$OUT" "PROBLEM"
nothing_written "after a passing preflight"

# The source cannot be reached: that check fails, those needing it are skipped.
port=$(free_port)
pf 2 "postgres://postgres@127.0.0.1:$port/x" "$(tgt_url "$TGT")"
assert_contains_re "$OUT" "^PROBLEM +source connection: .*127.0.0.1"
assert_contains_re "$OUT" "^ok +target connection"
assert_contains_re "$OUT" "^skipped +tables"
assert_contains_re "$OUT" "^skipped +target tables"

# A source user without the REPLICATION right; a filter on a missing column; a table already on the target.
psql_src "$SRC" "DROP ROLE IF EXISTS gw_pf_user; CREATE ROLE gw_pf_user LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO gw_pf_user" >/dev/null ||
    abort_test "role"
setup_tgt "$TGT" "CREATE TABLE public.notes (id int PRIMARY KEY, body text); INSERT INTO public.notes VALUES (1, 'in the way')"
pf 2 "$(pg_url "$GW_SRC_SERVER" "$SRC" gw_pf_user)" "$(tgt_url "$TGT")" --where "public.orders: nosuch = 1"
assert_contains_re "$OUT" "^PROBLEM +source settings, privileges and values: .*(REPLICATION|replication)"
assert_contains_re "$OUT" "^PROBLEM +row filters: .*nosuch"
assert_contains_re "$OUT" "^PROBLEM +target tables: .*notes"
assert_contains_re "$OUT" "^ok +column types on the target"
assert_contains "$OUT" "fix the problems above"
# The same as JSON.
pf 2 "$(pg_url "$GW_SRC_SERVER" "$SRC" gw_pf_user)" "$(tgt_url "$TGT")" --format json
assert_eq "false" "$(jq -r .ok "$OUT")" "ok in the JSON"
assert_eq "PROBLEM" "$(jq -r '.checks[] | select(.check == "target tables") | .result' "$OUT")" "target tables in the JSON"
psql_src "$SRC" "DROP OWNED BY gw_pf_user; DROP ROLE gw_pf_user" >/dev/null
setup_tgt "$TGT" "DROP TABLE public.notes"
nothing_written "after failing preflights"

# Failback into the source: a user owning the tables through a role (as docs/privileges.md says), without
# CREATE on the database (failback's _godwit) nor the replica setting, while notes has a trigger that
# would fire again for failback's writes.  Each is named with its GRANT; granted, it passes (the
# replication origin functions only warned about); --no-failback does not ask.
psql_src "$SRC" "DROP ROLE IF EXISTS gw_pf_fb; DROP ROLE IF EXISTS gw_pf_owner; CREATE ROLE gw_pf_owner;
    ALTER TABLE orders OWNER TO gw_pf_owner; ALTER TABLE notes OWNER TO gw_pf_owner;
    CREATE FUNCTION notes_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN NEW.body := NEW.body || '!'; RETURN NEW; END\$\$;
    CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_touch();
    CREATE ROLE gw_pf_fb LOGIN REPLICATION IN ROLE gw_pf_owner" >/dev/null || abort_test "roles"
FB=$(pg_url "$GW_SRC_SERVER" "$SRC" gw_pf_fb)
pf 2 "$FB" "$(tgt_url "$TGT")"
assert_contains_re "$OUT" "^PROBLEM +failback into the source: .*_godwit.*GRANT CREATE ON DATABASE $SRC TO gw_pf_fb"
assert_contains "$ERR" "table public.notes has triggers, rules or foreign-key actions"
assert_contains "$ERR" "GRANT SET ON PARAMETER session_replication_role TO gw_pf_fb"
assert_contains "$ERR" "preflight --no-failback"
# The phase's publication needs CREATE on the database too (fetch's check, which preflight runs).
pf 2 "$FB" "$(tgt_url "$TGT")" --no-failback
assert_contains_re "$OUT" "^not run +failback into the source: --no-failback"
assert_contains_re "$OUT" "^PROBLEM +source settings, privileges and values: .*CREATE privilege on the database"
psql_src "$SRC" "GRANT CREATE ON DATABASE $SRC TO gw_pf_fb; GRANT SET ON PARAMETER session_replication_role TO gw_pf_fb" >/dev/null ||
    abort_test "grants"
pf 0 "$FB" "$(tgt_url "$TGT")"
assert_contains_re "$OUT" "^ok +failback into the source"
assert_contains "$ERR" "pg_replication_origin_create(text)"
nothing_written "after the failback checks"
psql_src "$SRC" "ALTER TABLE orders OWNER TO postgres; ALTER TABLE notes OWNER TO postgres;
    REVOKE CREATE ON DATABASE $SRC FROM gw_pf_fb; REVOKE SET ON PARAMETER session_replication_role FROM gw_pf_fb;
    DROP ROLE gw_pf_fb; DROP ROLE gw_pf_owner" >/dev/null || fail "drop roles"

finish
