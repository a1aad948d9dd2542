#!/usr/bin/env bash
# The phase's tables are idle while the rest of the source database is busy: the slot's
# confirmed position must still advance (the source must not keep WAL forever), nothing is
# applied for the other tables, and a later change to the phase's table still arrives.
# Also: replicate's writes on the target carry its replication origin, so a change stream
# reading the target (failback) can tell them apart: a test_decoding slot asked for local
# changes only does not see them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_idle) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" "CREATE TABLE phase_t (id int PRIMARY KEY, v text); INSERT INTO phase_t VALUES (1, 'a');
                 CREATE TABLE busy_t (id bigserial PRIMARY KEY, pad text)"
PHASE=idle_$$
gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --tables public.phase_t
[ "$RC" = 0 ] || finish

SLOT=$(slot_name "$DB" "$PHASE")
PROBE="probe_$PHASE"
psql_tgt "$DB" "SELECT pg_create_logical_replication_slot('$PROBE', 'test_decoding')" >/dev/null \
    || abort_test "cannot create the test_decoding probe slot on the target"
start=$(psql_src "$DB" "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$SLOT'")
bg_start REPL "$GODWIT" replicate --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE"
REPL_ERR=$ERR

# Busy elsewhere: a few MB of WAL in tables outside the phase.
for i in 1 2 3 4 5; do
    psql_src "$DB" "INSERT INTO busy_t (pad) SELECT repeat('x', 200) FROM generate_series(1, 5000)" >/dev/null
done
goal=$(psql_src "$DB" "SELECT pg_current_wal_insert_lsn()")
advanced() {
    [ "$(psql_src "$DB" "SELECT confirmed_flush_lsn >= '$goal'::pg_lsn FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = t ]
}
wait_for 30 advanced || fail "slot $SLOT stayed at $(psql_src "$DB" "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$SLOT'") (start $start) while the source moved to $goal"

# The phase's table still streams afterwards.
psql_src "$DB" "UPDATE phase_t SET v = 'b' WHERE id = 1; INSERT INTO phase_t VALUES (2, 'c')" >/dev/null
arrived() { [ "$(psql_tgt "$DB" "SELECT string_agg(id || v, ',' ORDER BY id) FROM phase_t")" = "1b,2c" ]; }
wait_for 30 arrived || fail "changes to phase_t did not arrive: target has $(psql_tgt "$DB" "SELECT string_agg(id || v, ',' ORDER BY id) FROM phase_t")"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_tables WHERE tablename = 'busy_t'")" "busy_t is not on the target"

# Loop prevention: replicate's writes are tagged with its origin.
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_replication_origin WHERE roname = 'godwit:$(stream_name "$DB" "$PHASE")'")" "replication origin godwit:$(stream_name "$DB" "$PHASE") on the target"
all=$(psql_tgt "$DB" "SELECT count(*) FROM pg_logical_slot_peek_changes('$PROBE', NULL, NULL) WHERE data LIKE 'table public.phase_t:%'")
local_only=$(psql_tgt "$DB" "SELECT count(*) FROM pg_logical_slot_peek_changes('$PROBE', NULL, NULL, 'only-local', '1') WHERE data LIKE 'table public.phase_t:%'")
assert_ge 2 "$all" "changes to phase_t decoded on the target (all origins)"
assert_eq 0 "$local_only" "changes to phase_t decoded as local (they must carry replicate's origin)"
assert_not_contains "$REPL_ERR" "cannot set replication origin"
psql_tgt "$DB" "SELECT pg_drop_replication_slot('$PROBE')" >/dev/null

kill -TERM "$REPL"
wait "$REPL"; rc=$?
assert_eq 0 "$rc" "replicate exit code after SIGTERM (stderr: $(tail -c 300 "$REPL_ERR"))"
psql_src "$DB" "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
finish
