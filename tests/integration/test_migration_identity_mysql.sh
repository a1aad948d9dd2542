#!/usr/bin/env bash
# Two migrations from one MariaDB server never share state (issue 17, case 1): databases a, b and c of
# one server, each migrated with the default phase into a PostgreSQL target database of its own (a's
# on one PostgreSQL server, b's and c's on another); fetch, replicate and cutover each; the application
# writes 100 rows on each target, b's and c's first, then a's once a's server's log is past theirs (so
# that a checkpoint of a's failback, read by b's, would skip every row of b's: what the issue saw);
# failback each with --stop-when-caught-up.  Each source database gets exactly its own target's rows back (independent
# counts and digests on both servers), each failback checkpoint in MariaDB's server-wide
# _godwit.checkpoints is its own migration's, and each target records a migration of its own source.
# A failback given another migration's source is refused (exit 2, naming both) and changes nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

A=$(new_mdb gw_mig_a) || abort_test "create databases"
B=$(new_mdb gw_mig_b) || abort_test "create databases"
C=$(new_mdb gw_mig_c) || abort_test "create databases"
register_mdbs "$A" "$B" "$C"
# b's and c's targets on a second PostgreSQL server.
TB=migb
pg_server_start "$TB" || abort_test "start a second target server"
for d in "$B" "$C"; do createdb -h 127.0.0.1 -p "$(pg_port "$TB")" -U postgres "$d" || abort_test "createdb $d"; done
declare -A SRV=(["$A"]=$GW_TGT_SERVER ["$B"]=$TB ["$C"]=$TB)
turl() { pg_url "${SRV[$1]}" "$1"; }
# psql_t DB SQL: on database DB of its target server.
psql_t() { psql_on "${SRV[$1]}" "$1" "$2"; }
# Names of DB's migration, read from its own target server.
mstream() { GW_TGT_SERVER=${SRV[$1]} stream_name "$1" default failback; }
mid() { migration_id "$1" "${SRV[$1]}"; }

for d in "$A" "$B" "$C"; do
    setup_m "$d" "CREATE TABLE t (id int PRIMARY KEY, v varchar(40) NOT NULL) ENGINE=InnoDB;
                  INSERT INTO t SELECT seq, CONCAT('$d source ', seq) FROM seq_1_to_50"
done

digest_m() {
    msql "$1" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ' ',
        MD5(GROUP_CONCAT(CONCAT_WS('|', id, v) ORDER BY id SEPARATOR '\n'))) FROM t"
}
digest_p() {
    psql_t "$1" "SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', id, v), E'\n' ORDER BY id)) FROM $1.t"
}

for d in "$A" "$B" "$C"; do
    GW_CONTEXT=$d
    assert_exit 0 "$GODWIT" fetch --source "$(m_url "$d")" --target "$(turl "$d")" || abort_test "fetch of $d"
    assert_exit 0 "$GODWIT" replicate --source "$(m_url "$d")" --target "$(turl "$d")" --stop-when-caught-up
    assert_exit 0 "$GODWIT" cutover --source "$(m_url "$d")" --target "$(turl "$d")" --phase default --fence \
        --verify full || abort_test "cutover of $d"
    assert_contains_re <(mid "$d") '^[0-9a-f]{8}$'
    assert_contains_re <(psql_t "$d" "SELECT source_identity FROM _godwit.migration") "^mariadb:.*:[0-9]+/$d\$"
done
GW_CONTEXT=""
assert_eq 3 "$(printf '%s\n' "$(mid "$A")" "$(mid "$B")" "$(mid "$C")" | sort -u | grep -c .)" \
    "three targets, three migration ids"

# The application writes on the targets: b's and c's rows first; then a's, once a's server's log is past theirs.
write_rows() { psql_t "$1" "INSERT INTO $1.t SELECT g, 'written on target ${1#gw_mig_} ' || g FROM generate_series(1001, 1100) g" >/dev/null ||
    abort_test "insert on target $1"; }
write_rows "$B"
write_rows "$C"
b_lsn=$(psql_on "$TB" postgres "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 200); do
    [ "$(psql_on "$GW_TGT_SERVER" postgres "SELECT pg_current_wal_lsn() > '$b_lsn'::pg_lsn")" = t ] && break
    psql_t "$A" "CREATE TEMP TABLE pad AS SELECT 1; SELECT pg_switch_wal()" >/dev/null
done
write_rows "$A"

for d in "$A" "$B" "$C"; do
    GW_CONTEXT=$d
    assert_exit 0 "$GODWIT" failback --source "$(m_url "$d")" --target "$(turl "$d")" --phase default \
        --stop-when-caught-up
    assert_eq 150 "$(msql "$d" "SELECT COUNT(*) FROM t")" "rows in source $d after its failback"
    assert_eq 100 "$(msql "$d" "SELECT COUNT(*) FROM t WHERE v LIKE 'written on target ${d#gw_mig_} %'")" \
        "rows of its own target back in source $d"
    assert_eq 0 "$(msql "$d" "SELECT COUNT(*) FROM t WHERE v LIKE 'written on target%' AND v NOT LIKE 'written on target ${d#gw_mig_} %'")" \
        "rows of another target in source $d"
    assert_eq "$(digest_p "$d")" "$(digest_m "$d")" "source $d and its target, row by row"
    assert_eq 1 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream = '$(mstream "$d")' AND direction = 'failback'")" \
        "the failback checkpoint of $d's migration in MariaDB's _godwit"
done
GW_CONTEXT=""

# A failback given another migration's source is refused, naming both, and changes nothing.
before=$(msql "" "SELECT GROUP_CONCAT(CONCAT(stream, '=', position) ORDER BY stream) FROM _godwit.checkpoints")
assert_exit 2 "$GODWIT" failback --source "$(m_url "$B")" --target "$(turl "$A")" --phase default --stop-when-caught-up
assert_contains "$ERR" "$(mid "$A")"
assert_contains "$ERR" "/$A)"
assert_contains "$ERR" "/$B"
assert_short_message "$ERR" 2
assert_eq "$before" "$(msql "" "SELECT GROUP_CONCAT(CONCAT(stream, '=', position) ORDER BY stream) FROM _godwit.checkpoints")" \
    "MariaDB's checkpoints after the refused failback"
assert_eq "$(digest_p "$B")" "$(digest_m "$B")" "source b after the refused failback"

for d in "$A" "$B" "$C"; do
    assert_exit 0 "$GODWIT" finish --source "$(m_url "$d")" --target "$(turl "$d")" --phase default
done
finish
