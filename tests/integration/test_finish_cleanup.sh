#!/usr/bin/env bash
# Nothing is discarded silently, and nothing is left behind (PostgreSQL -> PostgreSQL):
# - finish of a cut-over phase whose failback has not applied the target's writes (failback not
#   running) is refused with exit 2, naming the count of changes, and changes nothing: failback's
#   slot, the fences and the status stay; the counted changes are exactly those written on the target;
# - status --source lists every godwit slot of both servers with the WAL it keeps: failback's, a
#   leftover in the source database that no phase uses, marked as an orphan, with at least the bytes
#   pg_wal_lsn_diff gives, and one of another database, shown as such;
# - finish --discard-unapplied then goes on and says how many changes it discarded;
# - after finish, and after a rollback (and the finish that follows it), and after a finish whose
#   failback had applied everything (no flag needed): no godwit slot or publication in either database
#   (pg_replication_slots, pg_publication), no replication origin the phases made on either server
#   (pg_replication_origin, compared with before), no failback checkpoint on the source.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_finish) || abort_test "createdb"
register_dbs "$DB"
SRC=$(src_url "$DB")
TGT=$(tgt_url "$DB")

setup_src "$DB" - <<'SQL'
CREATE TABLE kept (id integer PRIMARY KEY, v text);
CREATE TABLE rolled (id integer PRIMARY KEY, v text);
CREATE TABLE applied (id integer PRIMARY KEY, v text);
INSERT INTO kept SELECT i, 'k' || i FROM generate_series(1, 100) i;
INSERT INTO rolled SELECT i, 'r' || i FROM generate_series(1, 100) i;
INSERT INTO applied SELECT i, 'a' || i FROM generate_series(1, 100) i;
SQL

origins() { "psql_$1" postgres "SELECT coalesce(string_agg(roname, ',' ORDER BY roname), '') FROM pg_replication_origin"; }
ORIGINS_SRC=$(origins src)
ORIGINS_TGT=$(origins tgt)

# assert_nothing_left WHAT: no godwit slot or publication in either database, no new origin, no
# failback checkpoint on the source.
assert_nothing_left() {
    local what=$1
    assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$DB")" "$what: slots of the source database"
    assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "$what: slots of the target database"
    assert_eq "" "$(psql_src "$DB" "SELECT string_agg(pubname, ',') FROM pg_publication")" "$what: source publications"
    assert_eq "" "$(psql_tgt "$DB" "SELECT string_agg(pubname, ',') FROM pg_publication")" "$what: target publications"
    assert_eq "$ORIGINS_SRC" "$(origins src)" "$what: replication origins on the source server"
    assert_eq "$ORIGINS_TGT" "$(origins tgt)" "$what: replication origins on the target server"
    assert_eq "0" "$(psql_src "$DB" "SELECT count(*) FROM _godwit.checkpoints WHERE direction = 'failback'")" \
        "$what: failback checkpoints on the source"
}

cut_over() {   # PHASE TABLE
    gw_fetch 0 "$DB" "$DB" --phase "$1" --tables "public.$2" || abort_test "fetch of $1"
    psql_src "$DB" "UPDATE $2 SET v = v || ' fwd' WHERE id <= 5" >/dev/null
    assert_exit 0 "$GODWIT" cutover --source "$SRC" --target "$TGT" --phase "$1" --fence || abort_test "cutover of $1"
}

# ---- finish with changes failback has not applied
GW_CONTEXT="unapplied"
cut_over keep kept
# Two transactions on the target: 3 inserts, 4 updates, 1 delete.
setup_tgt "$DB" "BEGIN; INSERT INTO kept VALUES (1001, 'n1'), (1002, 'n2'), (1003, 'n3'); UPDATE kept SET v = 'u' WHERE id IN (1, 2); COMMIT"
# The last one asynchronous: finish must still see it.
setup_tgt "$DB" "SET synchronous_commit = off; BEGIN; UPDATE kept SET v = 'u2' WHERE id IN (3, 4); DELETE FROM kept WHERE id = 5; COMMIT"
SLOTS_BEFORE=$(slots_of "$GW_TGT_SERVER" "$DB")
assert_ne "" "$SLOTS_BEFORE" "failback's slot on the target after cutover"
assert_exit 2 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase keep
assert_contains "$ERR" "8 change(s) in 2 transaction(s)"
assert_contains "$ERR" "--discard-unapplied"
assert_short_message "$ERR"
assert_eq "$SLOTS_BEFORE" "$(slots_of "$GW_TGT_SERVER" "$DB")" "failback's slot after the refused finish"
assert_eq "failback" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'keep'")" "status after the refused finish"
assert_ge 1 "$(psql_src "$DB" "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'kept'::regclass AND NOT tgisinternal")" \
    "the source's fence after the refused finish"
assert_eq "k50" "$(psql_src "$DB" "SELECT v FROM kept WHERE id = 50")" "the source's row, untouched"
assert_eq "0" "$(psql_src "$DB" "SELECT count(*) FROM kept WHERE id > 1000 OR v LIKE 'u%'")" "the target's writes on the source"

# ---- status: every slot with the WAL it keeps, a leftover marked
GW_CONTEXT="status"
# A slot named as this migration's that no phase uses: an orphan.  One named as another migration's of the
# same source database: shown as such, never called an orphan.
LEFT="godwit_$(migration_id "$DB")_leftover_of_a_test"
setup_src "$DB" "SELECT pg_create_logical_replication_slot('$LEFT', 'pgoutput')"
setup_src "$DB" "SELECT pg_create_logical_replication_slot('godwit_0123abcd_other_migration', 'pgoutput')"
# One of another database of the source server: shown, not called an orphan (it may be another migration's).
setup_src postgres "SELECT pg_create_logical_replication_slot('godwit_other_db_of_a_test', 'pgoutput')"
setup_src "$DB" "CREATE TABLE wal_filler AS SELECT i, md5(i::text) AS m FROM generate_series(1, 20000) i"
KEPT=$(psql_src "$DB" "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '$LEFT'")
assert_exit 0 "$GODWIT" status --target "$TGT" --source "$SRC"
assert_contains_re "$OUT" "slot $LEFT on the source: ORPHAN.*keeps [0-9.]+ [kMGT]?B of WAL"
assert_contains_re "$OUT" "slot [a-z0-9_]+ on the target: failback stream of phase keep; keeps [0-9.]+ [kMGT]?B of WAL"
assert_contains_re "$OUT" "slot godwit_other_db_of_a_test on the source server, database postgres \(not this migration's database\); keeps [0-9.]+ [kMGT]?B of WAL"
assert_contains_re "$OUT" "slot godwit_0123abcd_other_migration on the source: not this migration's"
assert_not_contains "$OUT" "godwit_0123abcd_other_migration on the source: ORPHAN"
assert_exit 0 "$GODWIT" status --target "$TGT" --source "$SRC" --format json
assert_json "$OUT"
GOT=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next((s["retained_bytes"] for s in d["slots"] if s["slot"] == sys.argv[2] and s["orphan"]), -1))' "$OUT" "$LEFT")
assert_ge "$KEPT" "$GOT" "retained bytes of the leftover slot in status"
setup_src "$DB" "SELECT pg_drop_replication_slot('$LEFT')"
setup_src postgres "SELECT pg_drop_replication_slot('godwit_other_db_of_a_test')"
setup_src "$DB" "SELECT pg_drop_replication_slot('godwit_0123abcd_other_migration')"

# ---- finish --discard-unapplied: goes on, says how much
GW_CONTEXT="discard"
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase keep --discard-unapplied
assert_contains "$OUT" "discarded: 8 change(s) in 2 transaction(s)"
assert_contains "$ERR" "discarding 8 change(s)"
assert_eq "finished" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'keep'")" "status after finish"
assert_nothing_left "after finish --discard-unapplied"

# ---- rollback, then finish
GW_CONTEXT="rollback"
cut_over back rolled
setup_tgt "$DB" "UPDATE rolled SET v = 'on target' WHERE id = 7"
assert_exit 0 "$GODWIT" rollback --source "$SRC" --target "$TGT" --phase back
assert_eq "on target" "$(psql_src "$DB" "SELECT v FROM rolled WHERE id = 7")" "the target's write, on the source after rollback"
assert_nothing_left "after rollback"
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase back
assert_nothing_left "after rollback and finish"

# ---- finish after failback applied everything: no flag needed
GW_CONTEXT="applied"
cut_over done applied
setup_tgt "$DB" "UPDATE applied SET v = 'on target' WHERE id = 9; INSERT INTO applied VALUES (500, 'new')"
assert_exit 0 "$GODWIT" failback --source "$SRC" --target "$TGT" --phase done --stop-when-caught-up
assert_eq "new" "$(psql_src "$DB" "SELECT v FROM applied WHERE id = 500")" "failback applied the target's insert"
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --phase done
assert_not_contains "$OUT" "discarded"
assert_nothing_left "after failback and finish"
finish
