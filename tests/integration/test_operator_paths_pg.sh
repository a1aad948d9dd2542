#!/usr/bin/env bash
# Operator paths, PostgreSQL -> PostgreSQL, with names the other tests do not use:
# 1. a plan phase whose name has the maximum length (34 bytes) over tables whose names need quoting
#    (capitals, a space, a double quote, unicode): fetch, replicate under writes, cutover --fence (the
#    source refuses the phase's writes), writes on the target, failback --stop-when-caught-up, finish;
#    rows equal by independent SQL at each step, and afterwards no slot, publication, replication
#    origin or fence trigger of the phase on either server;
#    operator repeats along the way: fetch --resume of a fetched phase, failback started twice (the
#    second refused, exit 2, the first undisturbed), cutover run twice, finish run twice;
# 2. two target databases migrating the same source database with the same phase name at the same
#    time: both fetch, both replicate concurrently under writes and end equal; one is cut over, the
#    other's replicate goes on undisturbed, and the first one's finish and rollback (run twice) leave
#    the other's slot and publication in place (a forward stream used to skip what another migration's
#    failback wrote into the source, as if it were its own echo);
# 4. cutover killed with -9 once its fence is on the source (the trigger in pg_trigger), and once
#    failback's slot is on the target as well, then run again each time:
#    it succeeds, and a writer that retries on error (on the source until the phase is cut over, then on
#    the target) loses no committed row.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_oppaths) || abort_test "createdb"
register_dbs "$DB"
SRC=$(src_url "$DB")
TGT=$(tgt_url "$DB")
PH=long_phase_name_0123456789_abcdefg
assert_eq 34 "${#PH}" "length of the phase name"

setup_src "$DB" - <<'SQL'
CREATE TABLE "Mixed Case" ("Id" integer PRIMARY KEY, "Välue" text, n integer NOT NULL DEFAULT 0);
CREATE TABLE "quo""te ü" ("k ey" integer PRIMARY KEY, "ÄÖ" text);
CREATE TABLE "ünïcødé" (id integer PRIMARY KEY, v text);
INSERT INTO "Mixed Case" SELECT i, 'v' || i FROM generate_series(1, 300) i;
INSERT INTO "quo""te ü" SELECT i, 'ä' || i FROM generate_series(1, 50) i;
INSERT INTO "ünïcødé" SELECT i, 'ü' || i FROM generate_series(1, 50) i;
SQL
T1='public."Mixed Case"'
T2='public."quo""te ü"'
T3='public."ünïcødé"'
PLAN=$(spec plan <<EOF
{"phases": [{"name": "$PH", "tables": ["public.*"]}]}
EOF
)

assert_all_equal() {   # SRCDB TGTDB
    assert_tables_equal "$1" "$2" "$T1" '"Id"'
    assert_tables_equal "$1" "$2" "$T2" '"k ey"'
    assert_tables_equal "$1" "$2" "$T3" id
}
all_in_sync() {   # SRCDB TGTDB
    tables_in_sync "$1" "$2" "$T1" '"Id"' && tables_in_sync "$1" "$2" "$T2" '"k ey"' && tables_in_sync "$1" "$2" "$T3" id
}
# writes_on SIDE DB TAG: a few transactions of inserts, updates and deletes over the three tables.
writes_on() {
    local side=$1 db=$2 tag=$3 i
    for i in 1 2 3 4 5; do
        "psql_$side" "$db" "BEGIN;
            INSERT INTO $T1 SELECT max(\"Id\") + 1, '$tag' || $i FROM $T1;
            UPDATE $T1 SET n = n + 1, \"Välue\" = '$tag' WHERE \"Id\" = $i * 7;
            DELETE FROM $T2 WHERE \"k ey\" = (SELECT min(\"k ey\") FROM $T2);
            INSERT INTO $T2 SELECT max(\"k ey\") + 1, '\"$tag\" ü' FROM $T2;
            UPDATE $T3 SET v = NULL WHERE id = $i;
            COMMIT" >/dev/null || fail "writes on $side $db ($tag $i)"
    done
}
# fence triggers, slots, publications, origins named after the phase, on either server
phase_leftovers() {   # SRCDB TGTDB
    local s t
    s=$(psql_src "$1" "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '%$PH%')
        + (SELECT count(*) FROM pg_publication WHERE pubname LIKE '%$PH%')
        + (SELECT count(*) FROM pg_replication_origin WHERE roname LIKE '%$PH%')
        + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%' AND NOT tgisinternal)")
    t=$(psql_tgt "$2" "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '%$PH%')
        + (SELECT count(*) FROM pg_publication WHERE pubname LIKE '%$PH%')
        + (SELECT count(*) FROM pg_replication_origin WHERE roname LIKE '%$PH%')
        + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%' AND NOT tgisinternal)")
    echo "$s $t"
}

# ---------------------------------------------------------------- 1. long phase name, quoted tables
GW_CONTEXT="long name"
gw_fetch 0 "$DB" "$DB" --plan "$PLAN" --phase "$PH" || abort_test "fetch"
assert_all_equal "$DB" "$DB"
assert_ne "" "$(slots_of "$GW_SRC_SERVER" "$DB")" "the phase's slot on the source after fetch"

GW_CONTEXT="resume of a fetched phase"
ROWS_BEFORE=$(table_digest tgt "$DB" "$T1" '"Id"')
gw_fetch any "$DB" "$DB" --plan "$PLAN" --phase "$PH" --resume
if [ "$RC" != 0 ]; then
    assert_eq 2 "$RC" "exit code of fetch --resume of a fetched phase"
    assert_contains "$ERR" "$PH"
    assert_short_message "$ERR"
else
    assert_contains "$ERR" "already fetched"
fi
assert_eq "$ROWS_BEFORE" "$(table_digest tgt "$DB" "$T1" '"Id"')" "target rows after fetch --resume of a fetched phase"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = '$PH'")" "status after the resume"

GW_CONTEXT="replicate under writes"
bg_replicate R1 "$DB" "$DB" --plan "$PLAN" --phase "$PH"
writes_on src "$DB" fwd
wait_for 60 synced_or_gone "$R1" all_in_sync "$DB" "$DB" || fail "replicate did not catch up"
is_running "$R1" || fail "replicate exited: $(_gw_first_lines "$R1_ERR")"
assert_all_equal "$DB" "$DB"

GW_CONTEXT="cutover"
setup_src "$DB" "UPDATE $T1 SET \"Välue\" = 'drained' WHERE \"Id\" = 1"
assert_exit 0 "$GODWIT" cutover --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH" --fence
wait_exit "$R1" 30
assert_eq 0 "$RC" "replicate exits 0 at cutover"
assert_all_equal "$DB" "$DB"
assert_eq failback "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = '$PH'")" "status after cutover"
if psql_src "$DB" "UPDATE $T1 SET n = n + 1 WHERE \"Id\" = 2" >"$GW_OUT/fenced.out" 2>&1; then
    fail "the source accepted a write to the fenced phase"
fi
assert_contains "$GW_OUT/fenced.out" "fenced"

GW_CONTEXT="cutover again"
assert_exit any "$GODWIT" cutover --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH" --fence
note "second cutover: exit $RC: $(_gw_first_lines "$ERR")"
assert_ne 0 "$RC" "a second cutover of a cut-over phase is not a success"
[ "$RC" -lt 128 ] || fail "second cutover crashed (exit $RC)"
assert_contains "$ERR" "$PH"
assert_short_message "$ERR"
assert_eq failback "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = '$PH'")" "status after the second cutover"
assert_ne "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "failback's slot after the second cutover"

GW_CONTEXT="writes on the target, failback twice"
writes_on tgt "$DB" back
bg_start F1 "$GODWIT" failback --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH"
F1_ERR=$ERR
wait_for 30 synced_or_gone "$F1" all_in_sync "$DB" "$DB" || fail "failback did not catch up"
is_running "$F1" || fail "failback exited: $(_gw_first_lines "$F1_ERR")"
assert_exit 2 "$GODWIT" failback --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH"
assert_short_message "$ERR"
is_running "$F1" || fail "the first failback was disturbed by the second"
writes_on tgt "$DB" back2
wait_for 30 synced_or_gone "$F1" all_in_sync "$DB" "$DB" || fail "failback did not catch up after the second was refused"
stop_bg "$F1"
assert_eq 0 "$RC" "failback stops cleanly"
writes_on tgt "$DB" back3
assert_exit 0 "$GODWIT" failback --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH" --stop-when-caught-up
assert_all_equal "$DB" "$DB"

GW_CONTEXT="finish twice"
assert_exit 0 "$GODWIT" finish --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH"
assert_eq "0 0" "$(phase_leftovers "$DB" "$DB")" "slots/publications/origins/fence triggers of the phase left (source target)"
assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$DB")" "godwit slots of the source database after finish"
assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "godwit slots of the target database after finish"
assert_eq finished "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = '$PH'")" "status after finish"
setup_src "$DB" "UPDATE $T1 SET n = n + 1 WHERE \"Id\" = 2"
assert_exit any "$GODWIT" finish --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$PH"
note "second finish: exit $RC: $(_gw_first_lines "$ERR")"
case "$RC" in 0|2) ;; *) fail "second finish: exit $RC" ;; esac
# Nothing was left to drop: the second finish must not claim it dropped the slots again.
assert_not_contains "$ERR" "dropped replication slot"
assert_eq "0 0" "$(phase_leftovers "$DB" "$DB")" "leftovers after the second finish"
assert_eq finished "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = '$PH'")" "status after the second finish"

# ---------------------------------------------------------------- 2. two migrations of one source database
# Source database S, targets S (migration A) and B (migration B), the same phase name.
GW_CONTEXT="two migrations"
S=$(new_dbs gw_optwo_a) || abort_test "createdb"
B=$(new_dbs gw_optwo_b) || abort_test "createdb"
register_dbs "$S" "$B"
setup_src "$S" "CREATE TABLE two (id integer PRIMARY KEY, v text, n integer NOT NULL DEFAULT 0);
    INSERT INTO two SELECT i, 'v' || i FROM generate_series(1, 500) i"
T=public.two
in_sync() { tables_in_sync "$S" "$1" "$T" id; }
gw_fetch 0 "$S" "$S" --phase p --tables "$T" || abort_test "fetch of migration A"
gw_fetch 0 "$S" "$B" --phase p --tables "$T" || abort_test "fetch of migration B"
assert_ne "$(migration_id "$S")" "$(migration_id "$B")" "the two migrations' ids"
SLOT_A=$(slot_name "$S" p)
SLOT_B=$(slot_name "$B" p)
src_has() {   # KIND NAME: 1 when the source database S has that slot/publication
    case $1 in
    slot) psql_src "$S" "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$2' AND database = current_database()" ;;
    pub) psql_src "$S" "SELECT count(*) FROM pg_publication WHERE pubname = '$2'" ;;
    esac
}
assert_eq 1 "$(src_has slot "$SLOT_A")" "migration A's slot on the source"
assert_eq 1 "$(src_has slot "$SLOT_B")" "migration B's slot on the source"
assert_eq 1 "$(src_has pub "$SLOT_B")" "migration B's publication on the source"
bg_replicate RA "$S" "$S" --phase p
bg_replicate RB "$S" "$B" --phase p
src_writes() {   # TAG
    local i
    for i in $(seq 1 10); do
        psql_src "$S" "BEGIN; UPDATE two SET n = n + 1, v = '$1' WHERE id = $i * 13;
            INSERT INTO two SELECT max(id) + 1, '$1' FROM two; DELETE FROM two WHERE id = $i * 11; COMMIT" >/dev/null ||
            fail "writes on the source ($1 $i)"
    done
}
src_writes both
wait_for 60 synced_or_gone "$RA" in_sync "$S" || fail "migration A did not catch up"
wait_for 60 synced_or_gone "$RB" in_sync "$B" || fail "migration B did not catch up"
is_running "$RA" || fail "replicate A exited: $(_gw_first_lines "$RA_ERR")"
is_running "$RB" || fail "replicate B exited: $(_gw_first_lines "$RB_ERR")"
assert_tables_equal "$S" "$S" "$T" id
assert_tables_equal "$S" "$B" "$T" id

GW_CONTEXT="one of two cut over"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$S")" --target "$(tgt_url "$S")" --phase p --fence
wait_exit "$RA" 30
assert_eq 0 "$RC" "replicate A exits 0 at its cutover"
is_running "$RB" || fail "replicate B exited at A's cutover: $(_gw_first_lines "$RB_ERR")"
assert_eq 1 "$(src_has slot "$SLOT_B")" "migration B's slot after A's cutover"
assert_eq 1 "$(src_has pub "$SLOT_B")" "migration B's publication after A's cutover"
assert_eq fetched "$(psql_tgt "$B" "SELECT status FROM _godwit.phases WHERE name = 'p'")" "migration B's status after A's cutover"
# A's writes on its target come back to the source through A's failback; B's stream carries them on.
setup_tgt "$S" "UPDATE two SET v = 'from A' WHERE id <= 20; INSERT INTO two VALUES (100001, 'new on A', 0); DELETE FROM two WHERE id = 30"
assert_exit 0 "$GODWIT" failback --source "$(src_url "$S")" --target "$(tgt_url "$S")" --phase p --stop-when-caught-up
assert_tables_equal "$S" "$S" "$T" id
wait_for 30 synced_or_gone "$RB" in_sync "$B" || fail "migration B did not receive A's failback writes on the source"
is_running "$RB" || fail "replicate B exited after A's failback: $(_gw_first_lines "$RB_ERR")"
assert_tables_equal "$S" "$B" "$T" id

GW_CONTEXT="finish of one of two"
assert_exit 0 "$GODWIT" finish --source "$(src_url "$S")" --target "$(tgt_url "$S")" --phase p
assert_eq 0 "$(src_has slot "$SLOT_A")" "migration A's slot after its finish"
assert_eq 1 "$(src_has slot "$SLOT_B")" "migration B's slot after A's finish"
assert_eq 1 "$(src_has pub "$SLOT_B")" "migration B's publication after A's finish"
is_running "$RB" || fail "replicate B exited at A's finish: $(_gw_first_lines "$RB_ERR")"
src_writes after_a
wait_for 30 synced_or_gone "$RB" in_sync "$B" || fail "migration B did not catch up after A's finish"
is_running "$RB" || fail "replicate B exited: $(_gw_first_lines "$RB_ERR")"
assert_tables_equal "$S" "$B" "$T" id

GW_CONTEXT="rollback twice"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$S")" --target "$(tgt_url "$B")" --phase p --fence
wait_exit "$RB" 30
assert_eq 0 "$RC" "replicate B exits 0 at its cutover"
setup_tgt "$B" "UPDATE two SET v = 'from B' WHERE id BETWEEN 40 AND 50; INSERT INTO two VALUES (200001, 'new on B', 0)"
assert_exit 0 "$GODWIT" rollback --source "$(src_url "$S")" --target "$(tgt_url "$B")" --phase p
assert_tables_equal "$S" "$B" "$T" id
assert_eq "new on B" "$(psql_src "$S" "SELECT v FROM two WHERE id = 200001")" "B's insert on the source after rollback"
ST=$(psql_tgt "$B" "SELECT status FROM _godwit.phases WHERE name = 'p'")
assert_exit any "$GODWIT" rollback --source "$(src_url "$S")" --target "$(tgt_url "$B")" --phase p
note "second rollback: exit $RC: $(_gw_first_lines "$ERR")"
case "$RC" in 0|2) ;; *) fail "second rollback: exit $RC" ;; esac
assert_short_message "$ERR"
assert_eq "$ST" "$(psql_tgt "$B" "SELECT status FROM _godwit.phases WHERE name = 'p'")" "status after the second rollback"
psql_src "$S" "UPDATE two SET n = n + 1 WHERE id = 1" >/dev/null || fail "the source refuses writes after the rollbacks"
assert_exit 0 "$GODWIT" finish --source "$(src_url "$S")" --target "$(tgt_url "$B")" --phase p
assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$S")" "slots of the source database after both finished"
assert_eq 0 "$(psql_src "$S" "SELECT count(*) FROM pg_publication")" "publications of the source database after both finished"
assert_eq 0 "$(psql_src "$S" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%'")" "fence triggers on the source after both finished"

# ---------------------------------------------------------------- 4. cutover killed once its fence is on
kill_cutover_at() {   # KILLPOINT DB: fence (the trigger on the source) or failback_slot (failback's slot on the target)
    local point=$1 K=$2
    GW_CONTEXT="cutover kill -9 at $point"
    new_dbs "$K" >/dev/null || abort_test "createdb"
    register_dbs "$K"
    setup_src "$K" "CREATE TABLE w (id integer PRIMARY KEY, side text NOT NULL);
        CREATE TABLE big (id integer PRIMARY KEY, pad text);
        INSERT INTO big SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 200000) i"
    gw_fetch 0 "$K" "$K" --phase k --tables public.w,public.big || abort_test "fetch k"
    # The writer: inserts ids 1, 2, ... one per transaction, each retried until it commits: on the source
    # until the phase is cut over (status failback on the target), then on the target.  It logs "id side"
    # for each committed row.
    cat >"$GW_OUT/writer.sh" <<'WRITER'
    src=$1 tgt=$2 stop=$3 log=$4
    i=0
    while [ ! -e "$stop" ]; do
        i=$((i + 1))
        while :; do
            st=$(psql -X -At -d "$tgt" -c "SELECT status FROM _godwit.phases WHERE name = 'k'" 2>/dev/null)
            if [ "$st" = failback ]; then url=$tgt side=t; else url=$src side=s; fi
            if psql -X -q -d "$url" -c "INSERT INTO w VALUES ($i, '$side')" >/dev/null 2>&1; then
                echo "$i $side" >>"$log"
                break
            fi
            [ -e "$stop" ] && exit 0
            sleep 0.02   # retry pause of the writer, not a wait for a condition
        done
    done
WRITER
    : >"$GW_OUT/writer_$point.log"
    bg_start WR bash "$GW_OUT/writer.sh" "$(src_url "$K")" "$(tgt_url "$K")" "$GW_OUT/writer_$point.stop" "$GW_OUT/writer_$point.log"
    bg_replicate RK "$K" "$K" --phase k
    wrote() { [ "$(grep -c . "$GW_OUT/writer_$point.log")" -ge "$1" ]; }
    wait_for 30 wrote 20 || fail "the writer wrote nothing on the source"
    killpoint() {   # the fence on the source, or failback's slot on the target too
        [ "$(psql_src "$K" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%'")" -ge 1 ] || return 1
        [ "$point" = fence ] || [ -n "$(slots_of "$GW_TGT_SERVER" "$K")" ]
    }
    if [ "$point" = failback_slot ]; then
        # A transaction with an xid open on the target holds the creation of failback's slot (a logical
        # slot waits for running transactions), the slot already listed: cutover is killed in there.
        bg_start BLK env PGAPPNAME=gw_test_blocker psql -X -q -d "$(tgt_url "$K")" -c "SELECT txid_current(); SELECT pg_sleep(300)"
    fi
    bg_start CK "$GODWIT" cutover --source "$(src_url "$K")" --target "$(tgt_url "$K")" --phase k --fence --verify full
    wait_for 60 killpoint || fail "the kill point ($point) was never reached"
    if is_running "$CK"; then
        kill -9 "$CK"
        wait "$CK" 2>/dev/null
        if [ "$point" = failback_slot ]; then
            psql_tgt postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gw_test_blocker'" >/dev/null
            wait "$BLK" 2>/dev/null
        fi
        note "cutover killed with -9 at $point, status $(psql_tgt "$K" "SELECT status FROM _godwit.phases WHERE name = 'k'")"
    else
        fail "cutover ended before it could be killed at $point (the kill point was missed)"
    fi
    assert_exit 0 "$GODWIT" cutover --source "$(src_url "$K")" --target "$(tgt_url "$K")" --phase k --fence --verify full
    wait_exit "$RK" 30
    assert_eq failback "$(psql_tgt "$K" "SELECT status FROM _godwit.phases WHERE name = 'k'")" "status after the second cutover"
    on_target() { grep -q ' t$' "$GW_OUT/writer_$point.log"; }
    wait_for 30 on_target || fail "the writer never wrote on the target after the cutover"
    touch "$GW_OUT/writer_$point.stop"
    wait_exit "$WR" 30
    assert_exit 0 "$GODWIT" failback --source "$(src_url "$K")" --target "$(tgt_url "$K")" --phase k --stop-when-caught-up
    assert_tables_equal "$K" "$K" public.w id
    assert_tables_equal "$K" "$K" public.big id
    COMMITTED=$(sort -n "$GW_OUT/writer_$point.log" | awk '{print $1}' | paste -sd, -)
    assert_eq "$(grep -c . "$GW_OUT/writer_$point.log")" "$(psql_tgt "$K" "SELECT count(*) FROM w WHERE id IN ($COMMITTED)")" \
        "rows the writer committed, on the target"
    assert_eq "$(grep -c ' s$' "$GW_OUT/writer_$point.log")" "$(psql_tgt "$K" "SELECT count(*) FROM w WHERE side = 's'")" \
        "rows the writer committed on the source, on the target"
    assert_exit 0 "$GODWIT" finish --source "$(src_url "$K")" --target "$(tgt_url "$K")" --phase k
    assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$K")" "slots of the source database after finish"
    assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$K")" "slots of the target database after finish"
    assert_eq 0 "$(psql_tgt "$K" "SELECT count(*) FROM pg_publication")" "publications of the target database after finish"
    assert_eq 0 "$(psql_src "$K" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'godwit%'")" "fence triggers after finish"

}
kill_cutover_at fence gw_opkill
kill_cutover_at failback_slot gw_opkill2

finish
