#!/usr/bin/env bash
# godwit preflight, MariaDB -> PostgreSQL: a source that passes, then one holding a zero date, named
# with its column on the source's line (exit 2), passing with --zero-dates null as fetch would be
# given it; a spatial column refused on the tables' line until --type-map carries it as bytes; and
# nothing written on the target.  A migration user who could not make failback's triggers (the
# application's, made again guarded, with their definer; the fence's) is told before anything moves,
# each missing grant named, and passes once granted; the table-level TRIGGER grant counts.
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

# The target probe: every MySQL type as mapped, the first row by key (a zero date, written as NULL) copied,
# read back at a snapshot, applied as an update, delete and insert; nothing left after it.
setup_m "$MDB" "SET SESSION sql_mode = '';
CREATE TABLE \`Types é\` (id bigint unsigned PRIMARY KEY, e enum('a', 'b c'), s set('x', 'y'), y year, tm time,
    dc decimal(30, 10), j json, b blob, dt datetime(6), d date NOT NULL, bits bit(5), f float, u int unsigned,
    ch char(5), vc varchar(20) CHARACTER SET latin1, gen int AS (u % 7) STORED);
INSERT INTO \`Types é\` (id, e, s, y, tm, dc, j, b, dt, d, bits, f, u, ch, vc) VALUES
    (1, 'b c', 'x,y', 2024, '-26:03:04', 12345.6789, '{\"a\": [1, null]}', x'00ff', '2026-01-02 03:04:05.123456',
     '0000-00-00', b'10101', 1.5, 4294967295, 'ab', 'Zoë'),
    (2, 'a', '', 1999, '00:00:01', -1, '[]', '', '2000-01-01', '2000-01-01', b'0', -0.25, 0, 'x', 'plain');
INSERT INTO g VALUES (1, ST_GeomFromText('POINT(1 2)'))"
pf 0 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)" --zero-dates null --type-map "$GW_OUT/map.json" --probe
for step in "scratch database" "godwit's state tables" "the tables, every column type" "COPY in a transaction" \
    "keys, constraints, indexes" "reads at one snapshot" "applied update, delete, insert, truncate" \
    "foreign keys, sequences" "scratch database dropped"; do
    assert_contains_re "$OUT" "^ok +probe: $step"
done
assert_eq 0 "$(psql_tgt postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'godwit\_probe\_%'")" \
    "scratch databases left on the target server"
assert_no_user_tables gw_preflight_mt
# Without --zero-dates null the zero date is refused before the probe runs.
pf 2 "$(m_url "$MDB")" "$(tgt_url gw_preflight_mt)" --type-map "$GW_OUT/map.json" --probe
assert_contains_re "$OUT" "^not run +target probe: fix the problems above first"

# Failback's triggers: an audit trigger of another definer on "Order Items", and a table without any.
TDB=$(new_mdb gw_preflight_trg gw_preflight_trgt) || abort_test "create databases"
register_mdbs "$TDB"
USR=gw_pf_mig
setup_m "" "DROP USER IF EXISTS '$USR'@'127.0.0.1'; CREATE USER '$USR'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, LOCK TABLES ON gw_preflight_trg.* TO '$USR'@'127.0.0.1';
GRANT REPLICATION SLAVE, BINLOG MONITOR, RELOAD ON *.* TO '$USR'@'127.0.0.1'"
setup_m "$TDB" "CREATE TABLE \`Order Items\` (id int PRIMARY KEY, qty int); CREATE TABLE audit (id int, qty int);
CREATE TABLE plain (id int PRIMARY KEY);
CREATE TRIGGER \`items audit\` AFTER INSERT ON \`Order Items\` FOR EACH ROW INSERT INTO audit VALUES (NEW.id, NEW.qty);
INSERT INTO \`Order Items\` VALUES (1, 2); INSERT INTO plain VALUES (1)"
MU=$(m_url "$TDB" "$USR") TU=$(tgt_url gw_preflight_trgt)
# Failback's state database and writing rows back come first.
pf 2 "$MU" "$TU"
assert_contains_re "$OUT" "^PROBLEM +failback into the source: .*database _godwit.*GRANT CREATE"
assert_contains "$ERR" "failback writes the rows of table gw_preflight_trg.plain back, which the user may not: GRANT DELETE"
setup_m "" "GRANT DELETE ON gw_preflight_trg.* TO '$USR'@'127.0.0.1';
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, DROP ON \`\\_godwit\`.* TO '$USR'@'127.0.0.1'"
pf 2 "$MU" "$TU"
assert_contains_re "$OUT" "^PROBLEM +failback into the source: .*table gw_preflight_trg.Order Items.*GRANT TRIGGER"
assert_contains "$OUT" "log_bin_trust_function_creators"
assert_contains "$OUT" "GRANT SET USER ON *.* (to make a trigger whose definer is another account"
assert_contains_re "$OUT" "^ok +source settings, privileges and values"
# TRIGGER on the table itself is enough for that part; SUPER for the rest.
setup_m "" "GRANT TRIGGER ON gw_preflight_trg.\`Order Items\` TO '$USR'@'127.0.0.1'"
pf 2 "$MU" "$TU"
assert_not_contains "$OUT" "GRANT TRIGGER on the table"
assert_contains "$OUT" "GRANT SUPER"
assert_contains "$OUT" "GRANT SET USER ON *.* (to make a trigger whose definer is root@localhost)"
setup_m "" "GRANT SUPER ON *.* TO '$USR'@'127.0.0.1'"
pf 0 "$MU" "$TU"
assert_contains_re "$OUT" "^ok +failback into the source"
# "plain" has no trigger: only cutover --fence needs one there, which is said, not refused.
assert_contains "$ERR" "cutover --fence makes triggers on the phase's tables, which the user may not"
setup_m "" "GRANT TRIGGER ON gw_preflight_trg.* TO '$USR'@'127.0.0.1'"
pf 0 "$MU" "$TU"
assert_not_contains "$ERR" "--fence"
# Without a stream there is no failback: not checked.
setup_m "" "REVOKE SUPER ON *.* FROM '$USR'@'127.0.0.1'"
pf 0 "$MU" "$TU" --no-stream
assert_not_contains "$OUT" "failback into the source"
assert_no_user_tables gw_preflight_trgt
setup_m "" "DROP USER '$USR'@'127.0.0.1'"
finish
