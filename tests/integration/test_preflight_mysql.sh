#!/usr/bin/env bash
# godwit preflight, MariaDB -> PostgreSQL: a source that passes, then one holding a zero date, named
# with its column on the source's line (exit 2), passing with --zero-dates null as fetch would be
# given it; a spatial column refused on the tables' line until --type-map carries it as bytes; and
# nothing written on the target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf() {   # CODE SOURCE_URL TARGET_URL ARGS...
    local code=$1 s=$2 t=$3; shift 3
    assert_exit "$code" "$GODWIT" preflight --source "$s" --target "$t" "$@"
}
# MariaDB: a passing source, then zero dates named.
MDB=$(new_mdb gw_preflight_m gw_preflight_mt) || abort_test "create databases"
register_mdbs "$MDB"
setup_m "$MDB" "CREATE TABLE t (id int PRIMARY KEY, d date); INSERT INTO t VALUES (1, '2020-01-01')"
pf 0 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)"
assert_contains_re "$OUT" "^ok +source connection: MariaDB"
setup_m "$MDB" "SET SESSION sql_mode = ''; INSERT INTO t VALUES (2, '0000-00-00')"
pf 2 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)"
assert_contains_re "$OUT" "^PROBLEM +source settings, privileges and values: .*column d"
# With the flag fetch would be given, it passes; a spatial column needs its type map.
pf 0 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)" --zero-dates null
setup_m "$MDB" "CREATE TABLE g (id int PRIMARY KEY, location GEOMETRY NOT NULL)"
pf 2 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)" --zero-dates null
assert_contains_re "$OUT" "^PROBLEM +tables: .*location.*--type-map"
printf '{"gw_preflight_m.g.location": "bytea"}\n' >"$GW_OUT/map.json"
pf 0 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)" --zero-dates null --type-map "$GW_OUT/map.json"
assert_no_user_tables gw_preflight_mt
finish
