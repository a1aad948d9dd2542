#!/usr/bin/env bash
# A cutover whose step fails leaves the source the system of record (PostgreSQL -> PostgreSQL):
# - the target differs from the source in one row of the phase: cutover --fence --verify full fails at
#   verify with exit 1 (as `godwit verify` for differences) and a message saying so, lifts the fence (no trigger left, the application's
#   write goes through), puts the phase back to fetched and records a cutover_failed event naming
#   the step; no failback slot exists on the target;
# - once the row is mended, replicate runs again and cutover --verify none moves the phase: every
#   write made on the source in between is on the target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_cut_fail) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE "Accounts" (id int PRIMARY KEY, region text NOT NULL, balance numeric(12, 2));
INSERT INTO "Accounts" SELECT i, (ARRAY['x', 'y'])[1 + i % 2], i FROM generate_series(1, 200) i;
SQL
gw_fetch 0 "$DB" "$DB" --phase fail_x --tables public.Accounts --where "public.Accounts: region = 'x'" \
    || abort_test "fetch"
bg_replicate R1 "$DB" "$DB" --phase fail_x
# Streaming before the cutover starts: a cutover that came first would catch the phase up itself, holding the runner lock.
wait_for 30 grep -q "starting from\|resuming from" "$R1_ERR" || fail "replicate did not start: $(_gw_first_lines "$R1_ERR")"
setup_src "$DB" "UPDATE \"Accounts\" SET balance = balance + 1 WHERE id = 2"
# A row of the phase that differs on the target (no stream writes it).
setup_tgt "$DB" "UPDATE \"Accounts\" SET balance = -1 WHERE id = 4"

assert_exit 1 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase fail_x --fence \
    --verify full
assert_contains "$ERR" "verify found differences"
assert_contains "$ERR" "the source remains the system of record, its fence lifted"
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '$(fence_name "$DB" fail_x)%'")" \
    "fence triggers left on the source"
psql_src "$DB" "UPDATE \"Accounts\" SET balance = 77 WHERE id = 6" >/dev/null ||
    fail "the source refuses the phase's writes after the failed cutover"
assert_eq "fetched" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'fail_x'")" "status after the failed cutover"
assert_eq "verifying" "$(psql_tgt "$DB" "SELECT detail->>'step' FROM _godwit.events WHERE phase = 'fail_x' AND kind = 'cutover_failed'")" \
    "the failed step in the event"
assert_eq 0 "$(psql_tgt "" "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '$(slot_name "$DB" fail_x)%'")" \
    "failback slots on the target"
# The running replicate saw the phase cutting over and stopped at the fence.
wait_exit "$R1" 30

# Mended, replicated again, cut over without a verify.
setup_tgt "$DB" "UPDATE \"Accounts\" SET balance = 4 WHERE id = 4"
bg_replicate R2 "$DB" "$DB" --phase fail_x
wait_for 30 grep -q "starting from\|resuming from" "$R2_ERR" || fail "replicate did not start: $(_gw_first_lines "$R2_ERR")"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase fail_x --fence \
    --verify none
assert_contains_re "$OUT" "phase fail_x cut over: write downtime [0-9.]+ s \(fence to failback prepared; verify 0.000 s\)"
wait_exit "$R2" 30
assert_eq 0 "$RC" "replicate exits 0 by itself at the second cutover"
assert_tables_equal "$DB" "$DB" '"Accounts"' t.id "region = 'x'"
assert_eq 77.00 "$(psql_tgt "$DB" "SELECT balance FROM \"Accounts\" WHERE id = 6")" "the write made after the failed cutover"
finish
