#!/usr/bin/env bash
# Nothing is discarded silently, and nothing is left behind (MariaDB -> PostgreSQL):
# - finish of a cut-over phase whose failback has not applied the target's writes is refused (exit 2,
#   the count named) and changes nothing; once failback has applied them, finish goes on;
# - after finish, and after a rollback: no godwit slot or publication in the target database, no
#   replication origin the phases made on the target server, and no failback checkpoint of the phases
#   left in MariaDB's `_godwit`.`checkpoints` (binlog retention is the server's: there is no slot on
#   MariaDB to drop).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_finish_my) || abort_test "create databases"
register_mdbs "$DB"
SRC=$(m_url "$DB")
TGT=$(tgt_url "$DB")

setup_m "$DB" - <<'SQL'
CREATE TABLE kept (id int PRIMARY KEY, v varchar(40));
CREATE TABLE rolled (id int PRIMARY KEY, v varchar(40));
INSERT INTO kept SELECT seq, CONCAT('k', seq) FROM seq_1_to_100;
INSERT INTO rolled SELECT seq, CONCAT('r', seq) FROM seq_1_to_100;
SQL

ORIGINS_TGT=$(psql_tgt postgres "SELECT coalesce(string_agg(roname, ',' ORDER BY roname), '') FROM pg_replication_origin")

# assert_nothing_left WHAT PHASE
assert_nothing_left() {
    local what=$1 phase=$2
    assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "$what: slots of the target database"
    assert_eq "" "$(psql_tgt "$DB" "SELECT string_agg(pubname, ',') FROM pg_publication")" "$what: target publications"
    assert_eq "$ORIGINS_TGT" "$(psql_tgt postgres "SELECT coalesce(string_agg(roname, ',' ORDER BY roname), '') FROM pg_replication_origin")" \
        "$what: replication origins on the target server"
    assert_eq "0" "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream LIKE '%$phase%'")" \
        "$what: checkpoints of $phase in MariaDB's _godwit"
}

cut_over() {   # PHASE TABLE
    gw_mfetch 0 "$DB" "$DB" --phase "$1" --tables "$DB.$2" || abort_test "fetch of $1"
    assert_exit 0 "$GODWIT" cutover --source "$SRC" --target "$TGT" --phase "$1" --fence || abort_test "cutover of $1"
}

GW_CONTEXT="unapplied"
cut_over finmy_keep kept
setup_tgt "$DB" "INSERT INTO $DB.kept VALUES (1001, 'n1'); UPDATE $DB.kept SET v = 'u' WHERE id IN (1, 2)"
assert_exit 2 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase finmy_keep
assert_contains "$ERR" "3 change(s) in 2 transaction(s)"
assert_ne "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "failback's slot after the refused finish"
assert_eq "failback" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'finmy_keep'")" "status after the refused finish"
assert_exit 0 "$GODWIT" failback --source "$SRC" --target "$TGT" --phase finmy_keep --stop-when-caught-up
assert_eq "u" "$(msql "$DB" "SELECT v FROM kept WHERE id = 2")" "the target's update, on MariaDB"
assert_ge 1 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream LIKE '%finmy_keep%'")" "failback's checkpoint in MariaDB"
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase finmy_keep
assert_nothing_left "after failback and finish" finmy_keep

GW_CONTEXT="rollback"
cut_over finmy_back rolled
setup_tgt "$DB" "UPDATE $DB.rolled SET v = 'on target' WHERE id = 7"
assert_exit 0 "$GODWIT" rollback --source "$SRC" --target "$TGT" --phase finmy_back
assert_eq "on target" "$(msql "$DB" "SELECT v FROM rolled WHERE id = 7")" "the target's write, on MariaDB after rollback"
assert_nothing_left "after rollback" finmy_back
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase finmy_back
assert_nothing_left "after rollback and finish" finmy_back
finish
