#!/usr/bin/env bash
# Failback PostgreSQL -> PostgreSQL, with two phases on the same tables side by side.
# Phase a (region 'A', odd ids) and phase b (region 'B', even ids) are fetched into the same target
# tables (b's fetch finds a's rows there) and replicated.  Then:
# - failback of a before its cutover is refused (exit 2, pointing to cutover) with nothing made: no slot
#   or publication on the target, status and events unchanged;
# - cutover of a drains a and prepares its failback stream; replicate of a is refused from then on;
# - under concurrent writes (pgbench) to a's rows on the target and to b's rows on the source, with
#   failback a and replicate b running, and failback killed with -9 once mid-load, plus fixed SQL on
#   the target (TOASTed value left unchanged, key change, deletes, NULLs, quoted names, a keyless
#   insert-only table, TRUNCATE of a table only phase a has):
#   every table ends equal on both servers for each phase (md5 of the rows, by each server), the
#   counters show that no increment was lost or applied twice, and each stream skipped the other's
#   writes (its own-transaction count is above zero) instead of echoing them;
# - a TRUNCATE on the target of a table both phases share removes only phase a's rows on the source.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_failback) || abort_test "createdb"
register_dbs "$DB"
ODD='public."Odd ""Name"" ü"'

setup_src "$DB" - <<'SQL'
CREATE TABLE orders (id integer PRIMARY KEY, region text NOT NULL, amount numeric(12, 2), note text,
                     counter integer NOT NULL DEFAULT 0);
CREATE TABLE docs (id integer PRIMARY KEY, region text NOT NULL, title text, body text);
CREATE TABLE "Odd ""Name"" ü" ("Key Col" integer PRIMARY KEY, region text NOT NULL, "Välue" text);
CREATE TABLE audit_nokey (region text NOT NULL, v integer, at timestamptz);
CREATE TABLE scratch (id integer PRIMARY KEY, v text);
INSERT INTO orders SELECT i, CASE WHEN i % 2 = 1 THEN 'A' ELSE 'B' END, i * 1.25, 'o' || i FROM generate_series(1, 1000) i;
INSERT INTO docs SELECT i, CASE WHEN i % 2 = 1 THEN 'A' ELSE 'B' END, 't' || i,
    (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 400) g) FROM generate_series(1, 10) i;
INSERT INTO "Odd ""Name"" ü" SELECT i, CASE WHEN i % 2 = 1 THEN 'A' ELSE 'B' END, 'ü' || i FROM generate_series(1, 20) i;
INSERT INTO audit_nokey SELECT CASE WHEN i % 2 = 1 THEN 'A' ELSE 'B' END, i, now() FROM generate_series(1, 10) i;
INSERT INTO scratch SELECT i, 's' || i FROM generate_series(1, 5) i;
SQL

TABLES="public.orders,public.docs,public.Odd*,public.audit_nokey"
where_args() {   # REGION
    local w=()
    for t in public.orders public.docs '"Odd ""Name"" ü"' public.audit_nokey; do w+=(--where "$t: region = '$1'"); done
    printf '%s\0' "${w[@]}"
}
mapfile -d '' WA < <(where_args A)
mapfile -d '' WB < <(where_args B)
gw_fetch 0 "$DB" "$DB" --phase a --tables "$TABLES,public.scratch" "${WA[@]}" || abort_test "fetch a"
# Phase b goes into the same tables, which hold a's rows already.
gw_fetch 0 "$DB" "$DB" --phase b --tables "$TABLES" "${WB[@]}" || abort_test "fetch b"

# digests_equal TABLE ORDER WHERE: that table's rows matching WHERE, equal on both servers.
digest_where() { table_digest "$1" "$DB" "$2" "$3" "$4"; }
rows_in_sync() { [ "$(digest_where src "$@")" = "$(digest_where tgt "$@")" ]; }
assert_rows_same() {
    local s t
    s=$(digest_where src "$@" 2>&1); t=$(digest_where tgt "$@" 2>&1)
    assert_eq "$s" "$t" "table $1 WHERE $3: source and target"
}
phase_in_sync() {   # REGION
    rows_in_sync public.orders id "region = '$1'" && rows_in_sync public.docs id "region = '$1'" &&
        rows_in_sync "$ODD" '"Key Col"' "region = '$1'" && rows_in_sync public.audit_nokey "v, at" "region = '$1'"
}
assert_phase_equal() {   # REGION
    assert_rows_same public.orders id "region = '$1'"
    assert_rows_same public.docs id "region = '$1'"
    assert_rows_same "$ODD" '"Key Col"' "region = '$1'"
    assert_rows_same public.audit_nokey "v, at" "region = '$1'"
}
assert_phase_equal A
assert_phase_equal B

# Forward changes of both phases, then both drained.
setup_src "$DB" "UPDATE orders SET amount = amount + 1 WHERE id <= 40; INSERT INTO audit_nokey VALUES ('A', 100, now()), ('B', 101, now())"
gw_replicate 0 "$DB" "$DB" --phase a --stop-when-caught-up
gw_replicate 0 "$DB" "$DB" --phase b --stop-when-caught-up
assert_phase_equal A

gw_failback() {   # CODE ARGS...
    local code=$1; shift
    assert_exit "$code" "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" "$@"
}
bg_failback() {   # VAR ARGS...
    local var=$1; shift
    bg_start "$var" "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" "$@"
    printf -v "${var}_ERR" '%s' "$ERR"
}

# Not cut over: refused (the application may already write on the target, and no stream would keep
# those writes) before anything is made on either side, also while forward replication of a runs.
bg_replicate RA "$DB" "$DB" --phase a
wait_for 30 grep -q "starting from\|resuming from" "$RA_ERR" || fail "replicate a did not start"
events_before=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events")
src_state_before=$(psql_src "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")
gw_failback 2 --phase a
assert_contains "$ERR" "godwit cutover --phase a"
assert_eq 1 "$(grep -c . "$ERR")" "one line on stderr for the refusal"
assert_eq "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "slots on the target after the refused failback"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_publication")" "publications on the target after the refused failback"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'a'")" "phase a status after the refused failback"
assert_eq "$events_before" "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events")" "events after the refused failback"
assert_eq "$src_state_before" "$(psql_src "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" \
    "godwit state on the source after the refused failback"
stop_bg "$RA"
assert_eq 0 "$RC" "replicate a stops cleanly"

# Forward b keeps running; a change made on the source for a before the cutover is drained by it, and
# cutover prepares failback.
bg_replicate RB "$DB" "$DB" --phase b
setup_src "$DB" "UPDATE orders SET note = 'drained by cutover' WHERE id = 1"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase a --fence --verify full
assert_contains "$ERR" "failback prepared"
assert_eq "drained by cutover" "$(psql_tgt "$DB" "SELECT note FROM orders WHERE id = 1")" "drained change on the target"
assert_eq failback "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'a'")" "phase a status"
assert_ne "" "$(slots_of "$GW_TGT_SERVER" "$DB")" "failback slot on the target after the cutover"
gw_replicate 2 "$DB" "$DB" --phase a
assert_contains "$ERR" "is cut over"

# Loads: a's rows written on the target, b's on the source, both streams running.
cat >"$GW_OUT/a.sql" <<'SQL'
\set k random(10, 500)
BEGIN;
UPDATE orders SET counter = counter + 1, amount = amount + 0.01 WHERE id = 2 * :k - 1;
INSERT INTO orders (id, region, amount, note) VALUES (1000001 + 2 * nextval('ins_a'), 'A', 1, 'new on target');
DELETE FROM orders WHERE id = 1000001 + 2 * (currval('ins_a') - 5);
INSERT INTO audit_nokey VALUES ('A', :k, clock_timestamp());
END;
SQL
cat >"$GW_OUT/b.sql" <<'SQL'
\set k random(1, 500)
BEGIN;
UPDATE orders SET counter = counter + 1, note = 'b' || :k WHERE id = 2 * :k;
UPDATE docs SET title = 'b' || :k WHERE id = 2 * (1 + :k % 5);
END;
SQL
setup_tgt "$DB" "CREATE SEQUENCE ins_a"
bg_failback FA --phase a
bg_start LB pgbench -n -h 127.0.0.1 -p "$(pg_port "$GW_SRC_SERVER")" -U postgres -f "$GW_OUT/b.sql" -c 2 -R 80 -T 8 "$DB"
LB_OUT=$OUT
bg_start LA pgbench -n -h 127.0.0.1 -p "$(pg_port "$GW_TGT_SERVER")" -U postgres -f "$GW_OUT/a.sql" -c 2 -R 80 -T 8 "$DB"
LA_OUT=$OUT
setup_tgt "$DB" - <<SQL
UPDATE docs SET title = 'title only: body stays TOASTed' WHERE id = 1;
UPDATE docs SET id = 101 WHERE id = 3;
UPDATE orders SET note = NULL, amount = NULL WHERE id = 7;
DELETE FROM orders WHERE id IN (9, 11);
INSERT INTO $ODD VALUES (101, 'A', 'new ""quoted"" ü');
UPDATE $ODD SET "Välue" = NULL WHERE "Key Col" = 1;
UPDATE $ODD SET "Key Col" = 103 WHERE "Key Col" = 3;
TRUNCATE scratch;
INSERT INTO scratch VALUES (42, 'after truncate');
SQL
rand_sleep 2000 4000
kill -9 "$FA"; wait "$FA" 2>/dev/null
note "failback killed with -9 mid-load"
bg_failback FA --phase a
wait_exit "$LA" 60; assert_eq 0 "$RC" "target load"
wait_exit "$LB" 60; assert_eq 0 "$RC" "source load"
txns_a=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$LA_OUT")
txns_b=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$LB_OUT")
note "load: $txns_a transactions on a's rows (target), $txns_b on b's (source)"
assert_ge 100 "${txns_a:-0}" "transactions on the target"

wait_for 60 phase_in_sync A || fail "phase a did not come back to the source"
wait_for 60 phase_in_sync B || fail "phase b did not reach the target"
stop_bg "$FA"; assert_eq 0 "$RC" "failback stops cleanly"
stop_bg "$RB"; assert_eq 0 "$RC" "replicate b stops cleanly"

assert_phase_equal A
assert_phase_equal B
assert_rows_same public.scratch id "true"
assert_eq "$txns_a" "$(psql_src "$DB" "SELECT sum(counter) FROM orders WHERE region = 'A'")" "a's increments on the source"
assert_eq "$txns_b" "$(psql_src "$DB" "SELECT sum(counter) FROM orders WHERE region = 'B'")" "b's increments on the source"
assert_eq 12800 "$(psql_src "$DB" "SELECT length(body) FROM docs WHERE id = 1")" "TOASTed body kept on the source"
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM docs WHERE id = 3")" "old key gone on the source"
# Each stream read the other's writes and skipped them.
skipped_fa=$(grep -ho "[0-9]* own transactions skipped" "$FA_ERR" | tail -1 | cut -d' ' -f1)
skipped_rb=$(grep -ho "[0-9]* own transactions skipped" "$RB_ERR" | tail -1 | cut -d' ' -f1)
note "own transactions skipped: failback a $skipped_fa, replicate b $skipped_rb"
assert_ge 1 "${skipped_fa:-0}" "failback a skipped replicate b's writes on the target"
assert_ge 1 "${skipped_rb:-0}" "replicate b skipped failback a's writes on the source"
assert_eq 1 "$(psql_src "$DB" "SELECT count(*) FROM _godwit.checkpoints WHERE stream = '$(stream_name "$DB" a failback)'")" "failback checkpoint on the source"
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")" --source "$(src_url "$DB")"
assert_contains "$OUT" "phase a: cut over, failing back"
assert_contains "$OUT" "stream failback: applied up to $(psql_src "$DB" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(stream_name "$DB" a failback)'")"

# A TRUNCATE of a table that phases share removes only the phase's rows downstream.
b_rows=$(psql_src "$DB" "SELECT count(*) FROM audit_nokey WHERE region = 'B'")
setup_tgt "$DB" "TRUNCATE audit_nokey"
gw_failback 0 --phase a --stop-when-caught-up
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM audit_nokey WHERE region = 'A'")" "a's rows truncated on the source"
assert_eq "$b_rows" "$(psql_src "$DB" "SELECT count(*) FROM audit_nokey WHERE region = 'B'")" "b's rows kept on the source"

finish
