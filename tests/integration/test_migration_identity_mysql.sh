#!/usr/bin/env bash
# Two migrations from one MariaDB server never share state (issue 17, case 1): databases a and b of one
# server, each migrated with the default phase into a PostgreSQL target database of its own; fetch,
# replicate and cutover each; the application writes 100 rows on each target (b's first, then a's, so
# that a's failback checkpoint is past every row of b's); failback each with --stop-when-caught-up.
# Each source database gets exactly its own target's rows back (independent counts and digests on both
# servers), each failback's checkpoint in MariaDB's server-wide _godwit.checkpoints is its own, and each
# target records a migration of its own source.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

A=$(new_mdb gw_mig_a) || abort_test "create databases"
B=$(new_mdb gw_mig_b) || abort_test "create databases"
register_mdbs "$A" "$B"
for d in "$A" "$B"; do
    setup_m "$d" "CREATE TABLE t (id int PRIMARY KEY, v varchar(40) NOT NULL) ENGINE=InnoDB;
                  INSERT INTO t SELECT seq, CONCAT('$d source ', seq) FROM seq_1_to_50"
done

digest_m() {
    msql "$1" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ' ',
        MD5(GROUP_CONCAT(CONCAT_WS('|', id, v) ORDER BY id SEPARATOR '\n'))) FROM t"
}
digest_p() {
    psql_tgt "$1" "SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', id, v), E'\n' ORDER BY id)) FROM $1.t"
}

for d in "$A" "$B"; do
    GW_CONTEXT=$d
    assert_exit 0 "$GODWIT" fetch --source "$(m_url "$d")" --target "$(tgt_url "$d")" || abort_test "fetch of $d"
    assert_exit 0 "$GODWIT" replicate --source "$(m_url "$d")" --target "$(tgt_url "$d")" --stop-when-caught-up
    assert_exit 0 "$GODWIT" cutover --source "$(m_url "$d")" --target "$(tgt_url "$d")" --phase default --fence \
        --verify full || abort_test "cutover of $d"
done
GW_CONTEXT=""
assert_ne "$(migration_id "$A")" "$(migration_id "$B")" "the two targets' migration ids"
assert_contains_re <(migration_id "$A") '^[0-9a-f]{8}$'
for d in "$A" "$B"; do
    assert_contains_re <(psql_tgt "$d" "SELECT source_identity FROM _godwit.migration") "^mariadb:.*:[0-9]+/$d\$"
done

# The application writes on the targets: b's rows first, then a's.
setup_tgt "$B" "INSERT INTO $B.t SELECT g, 'written on target b ' || g FROM generate_series(1001, 1100) g"
setup_tgt "$A" "INSERT INTO $A.t SELECT g, 'written on target a ' || g FROM generate_series(1001, 1100) g"

for d in "$A" "$B"; do
    GW_CONTEXT=$d
    assert_exit 0 "$GODWIT" failback --source "$(m_url "$d")" --target "$(tgt_url "$d")" --phase default \
        --stop-when-caught-up
    assert_eq 150 "$(msql "$d" "SELECT COUNT(*) FROM t")" "rows in source $d after its failback"
    assert_eq 100 "$(msql "$d" "SELECT COUNT(*) FROM t WHERE v LIKE 'written on target ${d#gw_mig_} %'")" \
        "rows of its own target back in source $d"
    assert_eq 0 "$(msql "$d" "SELECT COUNT(*) FROM t WHERE v LIKE 'written on target%' AND v NOT LIKE 'written on target ${d#gw_mig_} %'")" \
        "rows of the other target in source $d"
    assert_eq "$(digest_p "$d")" "$(digest_m "$d")" "source $d and its target, row by row"
    assert_eq 1 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream = '$(stream_name "$d" default failback)'")" \
        "the failback checkpoint of $d's migration in MariaDB's _godwit"
done
GW_CONTEXT=""
assert_eq 2 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE phase = 'default' AND direction = 'failback'
    AND stream IN ('$(stream_name "$A" default failback)', '$(stream_name "$B" default failback)')")" \
    "two failback checkpoints, one per migration"

# A command given the other migration's source is refused, naming both, and changes nothing.
before=$(msql "" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(stream_name "$A" default failback)'")
assert_exit 2 "$GODWIT" failback --source "$(m_url "$B")" --target "$(tgt_url "$A")" --phase default --stop-when-caught-up
assert_contains "$ERR" "$(migration_id "$A")"
assert_contains "$ERR" "/$A)"
assert_contains "$ERR" "/$B"
assert_short_message "$ERR" 2
assert_eq "$before" "$(msql "" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(stream_name "$A" default failback)'")" \
    "a's failback checkpoint after the refused failback"
assert_eq 150 "$(msql "$B" "SELECT COUNT(*) FROM t")" "rows in source b after the refused failback"

for d in "$A" "$B"; do
    assert_exit 0 "$GODWIT" finish --source "$(m_url "$d")" --target "$(tgt_url "$d")" --phase default
done
finish
