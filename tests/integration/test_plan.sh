#!/usr/bin/env bash
# Phased plans (--plan FILE --phase NAME): a 4-region plan fetched phase by phase into one target
# database, each phase's rows then equal to the source's by independent SQL; plans whose phases share
# rows (statically, and only in the data) and rows no phase takes, refused with exit 2 before anything
# is created (no table and no _godwit schema on the target, no slot on the source), the latter accepted
# with --allow-uncovered; bad plan files and bad combinations of flags; verify and replicate with the
# plan, and replicate refusing a phase fetched with other filters than the plan's.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_plan) || abort_test "createdb"
SE=$(new_dbs gw_plan_se) || abort_test "createdb"
T=$(new_dbs gw_plan_t) || abort_test "createdb"
TE=$(new_dbs gw_plan_te) || abort_test "createdb"
register_dbs "$SRC" "$SE" "$T" "$TE"

setup_src "$SRC" - <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, region text, amount numeric(10,2), note text);
CREATE TABLE public.customers (id int PRIMARY KEY, region text NOT NULL, name text);
CREATE TABLE public.products (id int PRIMARY KEY, name text);
CREATE TABLE public.audit (id int PRIMARY KEY, msg text);
INSERT INTO public.orders
    SELECT i, (ARRAY['A', 'B', 'C', 'D', NULL])[1 + i % 5], (i % 70) + 0.25, 'o' || i FROM generate_series(1, 3000) i;
INSERT INTO public.customers SELECT i, (ARRAY['A', 'B', 'C', 'D'])[1 + i % 4], 'c' || i FROM generate_series(1, 400) i;
INSERT INTO public.products SELECT i, 'p' || i FROM generate_series(1, 50) i;
INSERT INTO public.audit SELECT i, 'm' || i FROM generate_series(1, 20) i;
-- A row of a region no phase takes.
INSERT INTO public.orders VALUES (9001, 'E', 1, 'uncovered');
SQL
setup_src "$SE" "CREATE TABLE public.orders (id int PRIMARY KEY, region text, code text);
                 INSERT INTO public.orders SELECT i, (ARRAY['A', 'B'])[1 + i % 2], 'k' || i FROM generate_series(1, 100) i;"

# The plan: four regions; products (no region column) goes whole with region_a; audit stays behind.
PLAN=$GW_OUT/plan4.json
cat >"$PLAN" <<'JSON'
{"phases": [
  {"name": "region_a", "tables": ["public.*"], "exclude": ["public.audit"],
   "where": {"public.orders": "region = 'A'", "public.customers": "region = 'A'"}},
  {"name": "region_b", "tables": ["public.orders", "public.customers"],
   "where": {"public.orders": "region = 'B'", "public.customers": "region IN ('B')"}},
  {"name": "region_c", "tables": ["public.orders", "public.customers"],
   "where": {"public.orders": "region = 'C'", "public.customers": "region = 'C'"}},
  {"name": "region_d", "tables": ["public.orders", "public.customers"],
   "where": {"public.orders": "region = 'D' OR region IS NULL", "public.customers": "NOT (region IN ('A', 'B', 'C'))"}}
]}
JSON
pred_orders=("region = 'A'" "region = 'B'" "region = 'C'" "region = 'D' OR region IS NULL")
pred_customers=("region = 'A'" "region IN ('B')" "region = 'C'" "NOT (region IN ('A', 'B', 'C'))")
PHASES=(region_a region_b region_c region_d)

no_godwit_schema() {
    assert_eq 0 "$(psql_tgt "$1" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" "_godwit schema on target $1"
}
# nothing_changed SRCDB: the refused command left no table, no state and no slot behind.
nothing_changed() {
    assert_no_user_tables "$TE"
    no_godwit_schema "$TE"
    assert_no_slot "$1"
}

# ---- 1. Phases that share rows, known from the predicates alone: refused before anything happens.
cat >"$GW_OUT/overlap.json" <<'JSON'
{"phases": [
  {"name": "region_x", "where": {"public.orders": "region IN ('A', 'B')"}},
  {"name": "region_y", "tables": ["public.orders"], "where": {"public.orders": "region = 'B'"}}
]}
JSON
GW_CONTEXT="static overlap"
gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/overlap.json" --phase region_x
assert_contains "$ERR" "table public.orders: phase 'region_x' (region IN ('A', 'B')) and phase 'region_y' (region = 'B') overlap: a row with region = 'B' matches both"
assert_short_message "$ERR" 1
nothing_changed "$SE"

# A phase without a where for a table another phase divides takes the whole table: an overlap too.
cat >"$GW_OUT/whole.json" <<'JSON'
{"phases": [
  {"name": "p1", "where": {"public.orders": "region = 'A'"}},
  {"name": "p2", "tables": ["public.*"]}
]}
JSON
GW_CONTEXT="whole table"
gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/whole.json" --phase p2
assert_contains "$ERR" "phase 'p2' takes the whole table"
nothing_changed "$SE"

# ---- 2. Phases the predicates keep apart but the data does not (a case-insensitive collation).
GW_CONTEXT="data overlap"
if psql_src "$SE" "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                   ALTER TABLE public.orders ALTER COLUMN code TYPE text COLLATE ci;" >/dev/null 2>&1; then
    setup_src "$SE" "UPDATE public.orders SET code = CASE WHEN id % 3 = 0 THEN 'x' ELSE 'X' END"
    cat >"$GW_OUT/ci.json" <<'JSON'
{"phases": [
  {"name": "lower_x", "where": {"public.orders": "code = 'x'"}},
  {"name": "upper_x", "where": {"public.orders": "code = 'X'"}}
]}
JSON
    gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/ci.json" --phase lower_x
    assert_contains "$ERR" "table public.orders: 100 rows match both phase 'lower_x' (code = 'x') and phase 'upper_x' (code = 'X')"
    nothing_changed "$SE"
else
    note "no ICU collations on this server: the data overlap case is skipped"
fi

# ---- 3. Bad plan files and flags: exit 2, one line, nothing done.
bad_plan() {
    local name=$1 want=$2 content=$3
    GW_CONTEXT="bad plan $name"
    printf '%s' "$content" >"$GW_OUT/$name.json"
    gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/$name.json" --phase a
    assert_contains "$ERR" "$want"
    assert_short_message "$ERR" 1
}
bad_plan bad_json "bad_json.json: line 2, column " '{"phases": [{"name": "a"}
'
bad_plan dup_phase "phase name 'a' is used twice" '{"phases": [{"name": "a"}, {"name": "a"}]}'
bad_plan bad_pred "phase 'a': where \"public.orders\": at position 10: expected a literal" \
    '{"phases": [{"name": "a", "where": {"public.orders": "region = = '"'A'"'"}}]}'
bad_plan bad_key "unknown key \"wher\"" '{"phases": [{"name": "a", "wher": {}}]}'
bad_plan bad_name "phase name 'Region-A'" '{"phases": [{"name": "Region-A"}]}'
bad_plan no_schema "where key \"orders\" is not schema.table" '{"phases": [{"name": "a", "where": {"orders": "id = 1"}}]}'
GW_CONTEXT="unknown phase"
gw_fetch 2 "$SE" "$TE" --plan "$PLAN" --phase region_z
assert_contains "$ERR" "has no phase 'region_z'; its phases: region_a, region_b, region_c, region_d"
assert_short_message "$ERR" 1
GW_CONTEXT="missing file"
gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/nosuch.json" --phase a
assert_contains "$ERR" "cannot open it"
assert_short_message "$ERR" 1
GW_CONTEXT="--plan with --where"
gw_fetch 2 "$SRC" "$TE" --plan "$PLAN" --phase region_a --where "public.orders: id = 1"
assert_contains "$ERR" "--plan cannot be combined with --tables, --exclude or --where"
assert_short_message "$ERR" 1
GW_CONTEXT="--plan without --phase"
gw_fetch 2 "$SRC" "$TE" --plan "$PLAN"
assert_contains "$ERR" "--plan needs --phase"
GW_CONTEXT="--allow-uncovered without --plan"
gw_fetch 2 "$SRC" "$TE" --allow-uncovered
assert_contains "$ERR" "--allow-uncovered goes with --plan"
GW_CONTEXT="where for a missing table"
printf '%s' '{"phases": [{"name": "a", "where": {"public.ordrs": "id = 1"}}]}' >"$GW_OUT/typo.json"
gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/typo.json" --phase a
assert_contains "$ERR" "where names table public.ordrs, which does not exist on the source"
GW_CONTEXT="where on a missing column"
printf '%s' '{"phases": [{"name": "a", "where": {"public.orders": "regio = 1"}}]}' >"$GW_OUT/col.json"
gw_fetch 2 "$SE" "$TE" --plan "$GW_OUT/col.json" --phase a
assert_contains "$ERR" "column \"regio\" does not exist"
nothing_changed "$SE"
nothing_changed "$SRC"

# ---- 4. A row no phase takes: refused, naming the table and the count; accepted with --allow-uncovered.
GW_CONTEXT="uncovered"
gw_fetch 2 "$SRC" "$TE" --plan "$PLAN" --phase region_a
assert_contains "$ERR" "table public.orders: 1 row matches no phase's predicate"
assert_contains "$ERR" "--allow-uncovered"
assert_not_contains "$ERR" "public.customers"
nothing_changed "$SRC"

# ---- 5. The four phases, one by one, into one target database.
check_phase() {
    local i=$1 s t
    for tbl in orders customers; do
        local -n preds="pred_$tbl"
        s=$(table_digest src "$SRC" "public.$tbl" id "${preds[$i]}" 2>&1)
        t=$(table_digest tgt "$T" "public.$tbl" id "${preds[$i]}" 2>&1)
        assert_eq "$s" "$t" "rows of public.$tbl in phase ${PHASES[$i]} (${preds[$i]}) on source and target"
    done
}
for i in 0 1 2 3; do
    GW_CONTEXT="fetch ${PHASES[$i]}"
    extra=()
    [ "$i" = 0 ] && extra=(--allow-uncovered)
    gw_fetch 0 "$SRC" "$T" --jobs 2 --plan "$PLAN" --phase "${PHASES[$i]}" "${extra[@]}" || continue
    assert_contains "$ERR" "plan $PLAN: 4 phases over 4 tables of the source: 2 divided by row predicates, 1 taken whole by one phase, 1 in no phase"
    assert_contains "$ERR" "1 table of the source is in no phase and stays on the source only: public.audit"
    if [ "$i" = 0 ]; then
        assert_contains "$ERR" "table public.orders: 1 row matches no phase's predicate"
        assert_contains "$ERR" "they stay on the source only"
        assert_contains "$ERR" "1 in none (allowed)"
        # Without the uncovered row, the next phases pass without the flag.
        setup_src "$SRC" "DELETE FROM public.orders WHERE region = 'E'"
    else
        assert_contains "$ERR" "0 rows in two phases, 0 in none"
    fi
    for j in $(seq 0 "$i"); do check_phase "$j"; done
    fetched="FALSE"
    for j in $(seq 0 "$i"); do fetched+=" OR (${pred_orders[$j]})"; done
    assert_eq "$(psql_src "$SRC" "SELECT count(*) FROM public.orders WHERE $fetched")" \
        "$(psql_tgt "$T" "SELECT count(*) FROM public.orders")" "orders on the target: exactly the fetched phases' rows"
    assert_eq "${PHASES[$i]}" "$(psql_tgt "$T" "SELECT name FROM _godwit.phases WHERE name = '${PHASES[$i]}'")" "phase recorded"
done
GW_CONTEXT="after all phases"
assert_tables_equal "$SRC" "$T" public.orders id
assert_tables_equal "$SRC" "$T" public.customers id
assert_tables_equal "$SRC" "$T" public.products id
assert_eq 0 "$(psql_tgt "$T" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit'")" "audit (in no phase) not on the target"
assert_eq "$(slot_name "$T" region_a):pgoutput,$(slot_name "$T" region_b):pgoutput,$(slot_name "$T" region_c):pgoutput,$(slot_name "$T" region_d):pgoutput" \
    "$(slots_of "$GW_SRC_SERVER" "$SRC")" "one slot per phase"

# ---- 6. verify and replicate with the plan.
GW_CONTEXT="verify --plan"
assert_exit 0 "$GODWIT" verify --source "$(src_url "$SRC")" --target "$(tgt_url "$T")" --plan "$PLAN" --phase region_b
GW_CONTEXT="verify --plan with --tables"
assert_exit 2 "$GODWIT" verify --source "$(src_url "$SRC")" --target "$(tgt_url "$T")" --plan "$PLAN" --phase region_b --tables 'public.orders'
assert_contains "$ERR" "--plan cannot be combined"

setup_src "$SRC" "INSERT INTO public.orders VALUES (5001, 'B', 5, 'new b'), (5002, 'C', 6, 'new c');
                  UPDATE public.orders SET note = 'changed' WHERE id IN (1, 2);"
GW_CONTEXT="replicate --plan"
gw_replicate 0 "$SRC" "$T" --plan "$PLAN" --phase region_b --stop-when-caught-up
assert_eq "$(table_digest src "$SRC" public.orders id "region = 'B'")" "$(table_digest tgt "$T" public.orders id "region = 'B'")" \
    "region_b rows after replicate --plan"
assert_eq "0" "$(psql_tgt "$T" "SELECT count(*) FROM public.orders WHERE id = 5002")" "a row of region_c is not region_b's to replicate"

cat >"$GW_OUT/other.json" <<'JSON'
{"phases": [
  {"name": "region_b", "tables": ["public.orders", "public.customers"],
   "where": {"public.orders": "region = 'B' OR region = 'E'", "public.customers": "region IN ('B')"}}
]}
JSON
GW_CONTEXT="replicate, other filters"
gw_replicate 2 "$SRC" "$T" --plan "$GW_OUT/other.json" --phase region_b --stop-when-caught-up
assert_contains "$ERR" "phase 'region_b' was fetched with other filters than plan"
assert_contains "$ERR" "public.orders was fetched with the filter \"region = 'B'\", the plan has \"region = 'B' OR region = 'E'\""
assert_short_message "$ERR" 1
GW_CONTEXT="replicate, unknown phase"
gw_replicate 2 "$SRC" "$T" --plan "$PLAN" --phase region_z
assert_contains "$ERR" "has no phase 'region_z'"
GW_CONTEXT="failback, overlapping plan"
assert_exit 2 "$GODWIT" failback --source "$(src_url "$SRC")" --target "$(tgt_url "$T")" --plan "$GW_OUT/overlap.json" --phase region_x
assert_contains "$ERR" "overlap"

finish
