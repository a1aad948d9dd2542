#!/usr/bin/env bash
# Migration identity on PostgreSQL (issue 17, case 1):
# - two databases of one source server, each fetched with the same phase name into a target database
#   of its own, fetched and replicated at the same time while both sources take writes: both end equal (independent
#   digests), each source database holds one slot of its own;
# - a command given another source than its target's migration came from (replicate, cutover, verify,
#   status --source, fetch of another phase, failback, rollback, finish) is refused with exit 2, naming both, and changes nothing
#   (checkpoints, slots, fences, phases);
# - state an earlier godwit version left (phase rows without a migration; a slot godwit_<phase> in the
#   source database) is refused by fetch and replicate, naming the phases or the slot, and nothing is
#   created on either side;
# - a phase whose name differs from a recorded one's only in case or punctuation ("Region-A" after
#   "region_a") would share its slot and checkpoints: refused with exit 2, naming both, nothing made.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S1=$(new_dbs gw_mig_s1) || abort_test "createdb"
S2=$(new_dbs gw_mig_s2) || abort_test "createdb"
T1=gw_mig_t1 T2=gw_mig_t2 L=gw_mig_legacy
for t in "$T1" "$T2" "$L"; do
    dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$t" >/dev/null 2>&1
    createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$t" || abort_test "createdb $t"
done
register_dbs "$S1" "$S2" "$T1" "$T2" "$L"
for s in "$S1" "$S2"; do
    setup_src "$s" "CREATE TABLE acct (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL);
                    INSERT INTO acct SELECT g, '$s owner ' || g, g * 1.5 FROM generate_series(1, 500) g"
done
digest() { "psql_$1" "$2" "SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', id, owner, balance), E'\n' ORDER BY id)) FROM acct"; }

# ---- two databases of one server, one phase name.
GW_CONTEXT="same phase, two databases"
# Both fetches at the same time.
bg_start F1 "$GODWIT" fetch --source "$(src_url "$S1")" --target "$(tgt_url "$T1")" --phase p
F1_ERR=$ERR
bg_start F2 "$GODWIT" fetch --source "$(src_url "$S2")" --target "$(tgt_url "$T2")" --phase p
F2_ERR=$ERR
wait_exit "$F1" 120; assert_eq 0 "$RC" "fetch of $S1 ($(_gw_first_lines "$F1_ERR"))" || abort_test "fetch of $S1"
wait_exit "$F2" 120; assert_eq 0 "$RC" "fetch of $S2 ($(_gw_first_lines "$F2_ERR"))" || abort_test "fetch of $S2"
assert_eq "$(slot_name "$T1" p):pgoutput" "$(slots_of "$GW_SRC_SERVER" "$S1")" "the slot of $S1"
assert_eq "$(slot_name "$T2" p):pgoutput" "$(slots_of "$GW_SRC_SERVER" "$S2")" "the slot of $S2"
assert_ne "$(migration_id "$T1")" "$(migration_id "$T2")" "the two targets' migration ids"
bg_replicate R1 "$S1" "$T1" --phase p
bg_replicate R2 "$S2" "$T2" --phase p
for s in "$S1" "$S2"; do
    setup_src "$s" "UPDATE acct SET balance = balance + 1 WHERE id % 7 = 0;
                    INSERT INTO acct SELECT g, '$s new ' || g, g FROM generate_series(501, 700) g;
                    DELETE FROM acct WHERE id % 11 = 0"
done
in_sync() { [ "$(digest src "$S1")" = "$(digest tgt "$T1")" ] && [ "$(digest src "$S2")" = "$(digest tgt "$T2")" ]; }
wait_for 60 in_sync || fail "the targets did not catch up"
stop_bg "$R1" 30 TERM; assert_eq 0 "$RC" "replicate of $S1 stops cleanly"
stop_bg "$R2" 30 TERM; assert_eq 0 "$RC" "replicate of $S2 stops cleanly"
assert_eq "$(digest src "$S1")" "$(digest tgt "$T1")" "$S1 and $T1"
assert_eq "$(digest src "$S2")" "$(digest tgt "$T2")" "$S2 and $T2"
assert_eq 0 "$(psql_tgt "$T1" "SELECT count(*) FROM acct WHERE owner LIKE '$S2%'")" "rows of $S2 in $T1"
assert_eq 1 "$(psql_tgt "$T1" "SELECT count(*) FROM _godwit.checkpoints WHERE stream = '$(stream_name "$T1" p)'")" \
    "$T1's checkpoint under its migration's stream name"

# ---- the wrong source for a target's migration.
GW_CONTEXT="wrong source"
setup_src "$S2" "INSERT INTO acct VALUES (9001, 'after the streams stopped', 1)"
state() {
    psql_tgt "$T1" "SELECT string_agg(stream || '=' || position, ',') FROM _godwit.checkpoints"
    psql_tgt "$T1" "SELECT string_agg(name || '=' || status, ',') FROM _godwit.phases"
    psql_src postgres "SELECT string_agg(slot_name || '=' || confirmed_flush_lsn, ',' ORDER BY slot_name) FROM pg_replication_slots WHERE database IN ('$S1', '$S2')"
    psql_src "$S2" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%'"
    digest tgt "$T1"
}
before=$(state)
wrong() {
    assert_contains "$ERR" "$(migration_id "$T1")"
    assert_contains "$ERR" "/$S1)"
    assert_contains "$ERR" "/$S2"
    assert_short_message "$ERR" 2
    assert_eq "$before" "$(state)" "the state on both sides after the refused $1"
}
gw_replicate 2 "$S2" "$T1" --phase p --stop-when-caught-up && wrong replicate
assert_exit 2 "$GODWIT" cutover --source "$(src_url "$S2")" --target "$(tgt_url "$T1")" --phase p --fence && wrong cutover
assert_exit 2 "$GODWIT" verify --source "$(src_url "$S2")" --target "$(tgt_url "$T1")" --phase p && wrong verify
assert_exit 2 "$GODWIT" status --source "$(src_url "$S2")" --target "$(tgt_url "$T1")" && wrong status
gw_fetch 2 "$S2" "$T1" --phase q && wrong "fetch of another phase"
assert_exit 2 "$GODWIT" failback --source "$(src_url "$S2")" --target "$(tgt_url "$T1")" --phase p \
    --stop-when-caught-up && wrong failback
for cmd in rollback finish; do
    assert_exit 2 "$GODWIT" "$cmd" --source "$(src_url "$S2")" --target "$(tgt_url "$T1")" --phase p && wrong "$cmd"
done
# Status names the migration and its source.
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$T1")" --source "$(src_url "$S1")"
assert_contains "$OUT" "migration $(migration_id "$T1") from source"
assert_contains "$OUT" "/$S1)"

# ---- state of an earlier godwit version.
GW_CONTEXT="legacy state"
setup_tgt "$L" "CREATE SCHEMA _godwit;
    CREATE TABLE _godwit.phases (name text PRIMARY KEY, status text NOT NULL, stream boolean NOT NULL,
        snapshot_position text, slot text, publications text, filters text,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO _godwit.phases (name, status, stream, slot) VALUES ('old_one', 'fetched', true, 'godwit_old_one'),
        ('old_two', 'failback', true, 'godwit_old_two')"
slots_before=$(slots_of "$GW_SRC_SERVER" "$S1")
for cmd in fetch replicate; do
    assert_exit 2 "$GODWIT" "$cmd" --source "$(src_url "$S1")" --target "$(tgt_url "$L")" --phase old_one
    assert_contains "$ERR" "old_one, old_two"
    assert_contains "$ERR" "earlier godwit version"
    assert_short_message "$ERR" 2
done
gw_fetch 2 "$S1" "$L" --phase new_one
assert_contains "$ERR" "earlier godwit version"
assert_eq "$slots_before" "$(slots_of "$GW_SRC_SERVER" "$S1")" "slots of $S1 after the refusals"
assert_eq "phases" "$(psql_tgt "$L" "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = '_godwit'")" \
    "_godwit on the legacy target after the refusals"
assert_no_user_tables "$L"
# A slot an earlier version made for the phase in the source database ("godwit_<phase>").
setup_src "$S1" "SELECT pg_create_logical_replication_slot('godwit_old_slot', 'pgoutput')"
T3=gw_mig_t3
dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$T3" >/dev/null 2>&1
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T3" || abort_test "createdb $T3"
register_dbs "$T3"
gw_fetch 2 "$S1" "$T3" --phase old_slot
assert_contains "$ERR" "godwit_old_slot"
assert_contains "$ERR" "earlier godwit version"
assert_short_message "$ERR" 2
assert_eq "$slots_before,godwit_old_slot:pgoutput" "$(slots_of "$GW_SRC_SERVER" "$S1")" "slots of $S1 after the refused fetch"
assert_eq 0 "$(psql_tgt "$T3" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" "_godwit on $T3 after the refused fetch"
assert_no_user_tables "$T3"
psql_src "$S1" "SELECT pg_drop_replication_slot('godwit_old_slot')" >/dev/null

# ---- two phase names, one slot.
GW_CONTEXT="phase names"
T4=gw_mig_t4
dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$T4" >/dev/null 2>&1
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T4" || abort_test "createdb $T4"
register_dbs "$T4"
setup_src "$S2" "CREATE TABLE other (id int PRIMARY KEY)"
gw_fetch 0 "$S2" "$T4" --phase region_a --tables public.acct
slots_before=$(slots_of "$GW_SRC_SERVER" "$S2")
gw_fetch 2 "$S2" "$T4" --phase Region-A --tables public.other
assert_contains "$ERR" "phase 'Region-A'"
assert_contains "$ERR" "phase 'region_a'"
assert_short_message "$ERR" 2
assert_eq "$slots_before" "$(slots_of "$GW_SRC_SERVER" "$S2")" "slots of $S2 after the refused fetch"
assert_eq 0 "$(psql_tgt "$T4" "SELECT count(*) FROM _godwit.phases WHERE name = 'Region-A'")" "no phase Region-A recorded"
assert_eq 0 "$(psql_tgt "$T4" "SELECT count(*) FROM pg_tables WHERE tablename = 'other'")" "table other not made"

finish
