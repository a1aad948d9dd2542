#!/usr/bin/env bash
# The source stays writable: fetch's publications never make the application's writes fail.
# A parent table with a key and two children that inherit from it without a key (like pagila's
# payment partitions), and an application that UPDATEs and DELETEs rows through the parent and in
# each child directly:
# - every statement that worked before fetch still works after it and while replicate runs (on the
#   code before this test, fetch's FOR TABLE payment published the keyless children's updates and the
#   source refused them: "does not have a replica identity and publishes updates");
# - the phase takes the parent's own rows only (ONLY payment): replicate keeps them equal on the
#   target and verify finds them equal (the children's rows are no part of them);
# - a table whose replica identity index was dropped (relreplident 'i', no identity) is streamed for
#   inserts only, so its updates keep working too;
# - every table any publication of the source database covers is one the phase selected, and has a
#   usable replica identity unless the publication carries inserts only (pg_publication_tables,
#   pg_class.relreplident, pg_index, read here);
# - the same for the target after cutover, whose own keyless child of the phase's table the
#   application keeps updating (failback's publications).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_writable) || abort_test "createdb"
register_dbs "$DB"

SCHEMA=$(cat <<'SQL'
CREATE TABLE payment (id integer PRIMARY KEY, amount numeric(10, 2) NOT NULL, note text);
CREATE TABLE "payment_p2007_01" () INHERITS (payment);
CREATE TABLE "Payment P2007 02" () INHERITS (payment);
CREATE TABLE ledger (id integer NOT NULL, v integer);
CREATE UNIQUE INDEX ledger_id ON ledger (id);
ALTER TABLE ledger REPLICA IDENTITY USING INDEX ledger_id;
DROP INDEX ledger_id;
SQL
)
setup_src "$DB" "$SCHEMA"
setup_src "$DB" - <<'SQL'
INSERT INTO payment SELECT i, i, 'parent' FROM generate_series(1, 200) i;
INSERT INTO payment_p2007_01 SELECT i, i, 'child 1' FROM generate_series(1001, 1200) i;
INSERT INTO "Payment P2007 02" SELECT i, i, 'child 2' FROM generate_series(2001, 2200) i;
INSERT INTO ledger SELECT i, i FROM generate_series(1, 50) i;
SQL
# The target: the phase's table, and a keyless child of it of the target's own (the application's,
# after cutover); --schema existing keeps it.
setup_tgt "$DB" "$SCHEMA"

# app_round SIDE N: the application's updates and deletes, each its own statement, all must succeed.
app_round() {
    local side=$1 n=$2 stmt
    local stmts=(
        "UPDATE payment SET amount = amount + 1 WHERE id % 20 = $n"
        "DELETE FROM payment WHERE id IN ($((100 + n)), $((1100 + n)), $((2100 + n)))"
        "UPDATE payment_p2007_01 SET note = 'direct $n' WHERE id = $((1000 + n))"
        "DELETE FROM payment_p2007_01 WHERE id = $((1050 + n))"
        "UPDATE \"Payment P2007 02\" SET amount = 0 WHERE id = $((2000 + n))"
        "DELETE FROM \"Payment P2007 02\" WHERE id = $((2050 + n))"
        "UPDATE ONLY payment SET note = 'only $n' WHERE id = $((10 + n))"
        "INSERT INTO payment_p2007_01 VALUES ($((5000 + n)), 1, 'new')"
        "UPDATE payment_p2007_01 SET amount = 2 WHERE id = $((5000 + n))"
    )
    for stmt in "${stmts[@]}"; do
        "psql_$side" "$DB" "$stmt" >/dev/null 2>"$GW_OUT/app.err" ||
            fail "round $n on the $side: '$stmt' failed: $(head -c 300 "$GW_OUT/app.err")"
    done
}

# rule_violations SIDE: tables the database's publications cover that break the rule, one per line.
rule_violations() {
    "psql_$1" "$DB" "SELECT pt.pubname || ': ' || pt.schemaname || '.' || pt.tablename
        FROM pg_publication_tables pt JOIN pg_publication p USING (pubname)
        JOIN pg_namespace n ON n.nspname = pt.schemaname
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
        WHERE pt.tablename NOT IN ('payment', 'ledger')
           OR ((p.pubupdate OR p.pubdelete) AND NOT (c.relreplident = 'f'
               OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
               OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))))
        ORDER BY 1"
}
published() { "psql_$1" "$DB" "SELECT count(*) FROM pg_publication_tables"; }

# The parent's own rows (ONLY payment) on both sides.
parent_in_sync() { tables_in_sync "$DB" "$DB" "ONLY payment" id; }
assert_parent_equal() {
    local s t
    s=$(table_digest src "$DB" "ONLY payment" id 2>&1); t=$(table_digest tgt "$DB" "ONLY payment" id 2>&1)
    assert_eq "$s" "$t" "md5/count of ONLY payment on source and target"
}

GW_CONTEXT="before fetch"
app_round src 1

GW_CONTEXT="fetch"
gw_fetch 0 "$DB" "$DB" --phase pay --tables public.payment --where 'public.payment: amount >= 0' \
    --schema existing || abort_test "fetch"
assert_eq "" "$(rule_violations src 2>&1)" "source publications breaking the rule"
assert_ge 1 "$(published src)" "tables published on the source"
assert_eq "0" "$(psql_tgt "$DB" "SELECT count(*) FROM ONLY payment WHERE note LIKE 'child%' OR id > 1000")" \
    "children's rows copied into the target's payment"
assert_parent_equal

GW_CONTEXT="after fetch"
app_round src 2

# A second phase: the table whose identity index is gone (its updates are not streamed, so it stays out
# of the verify below).
GW_CONTEXT="ledger"
gw_fetch 0 "$DB" "$DB" --phase led --tables public.ledger --schema existing || abort_test "fetch of led"
assert_eq "" "$(rule_violations src 2>&1)" "source publications breaking the rule"
for stmt in "UPDATE ledger SET v = v + 1 WHERE id = 1" "DELETE FROM ledger WHERE id = 2"; do
    psql_src "$DB" "$stmt" >/dev/null 2>"$GW_OUT/app.err" || fail "'$stmt' failed: $(head -c 300 "$GW_OUT/app.err")"
done

GW_CONTEXT="during replicate"
bg_replicate REP "$DB" "$DB" --phase pay
app_round src 3
app_round src 4
wait_for 60 synced_or_gone "$REP" parent_in_sync || fail "the parent's rows did not reach the target"
is_running "$REP" || fail "replicate exited while the application wrote: $(_gw_first_lines "$REP_ERR")"
stop_bg "$REP"
assert_eq 0 "$RC" "replicate's exit status after SIGTERM"
assert_parent_equal
assert_exit 0 "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase pay

GW_CONTEXT="after cutover"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase pay --fence \
    --verify full || abort_test "cutover"
assert_eq "" "$(rule_violations tgt 2>&1)" "target publications breaking the rule"
assert_ge 1 "$(published tgt)" "tables published on the target"
# The application now writes the phase on the target, its own child table included.
for stmt in "INSERT INTO payment_p2007_01 VALUES (7001, 1, 't')" "UPDATE payment_p2007_01 SET amount = 3 WHERE id = 7001" \
    "UPDATE payment SET note = 'on target' WHERE id IN (5, 7001)" "DELETE FROM payment WHERE id IN (6, 7001)"; do
    psql_tgt "$DB" "$stmt" >/dev/null 2>"$GW_OUT/app.err" || fail "'$stmt' failed on the target: $(head -c 300 "$GW_OUT/app.err")"
done
assert_exit 0 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase pay --stop-when-caught-up
assert_parent_equal
assert_eq "on target" "$(psql_src "$DB" "SELECT note FROM ONLY payment WHERE id = 5")" "an update made on the target, on the source"
finish
