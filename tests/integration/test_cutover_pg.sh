#!/usr/bin/env bash
# Phased migration PostgreSQL -> PostgreSQL, four regions, under a load that writes every region:
# - each region fetched as its own phase (orders and customers share tables across phases) and
#   replicated in the background;
# - the load writes each region on the side that holds it: the source until the region's cutover,
#   then the target (a write refused by the fence is retried on the target, as an application
#   would after switching);
# - region d is cut over without a fence: its writer stops, cutover waits for the quiet period
#   (no fence trigger is installed) and verifies in full;
# - cutover --fence of each other region in turn: its replicate exits 0 by itself at the fence, the
#   command prints the write downtime, a write to a fenced row on the source is refused with a
#   message naming the phase (a row of another phase in the same table still goes through), and
#   replicate of the phase is refused afterwards; failback of each cut-over region runs in the
#   background;
# - at the end every region's rows are equal on both servers (md5 by each server), none lost;
# - rollback of region a after writes on the target: every such write is on the source, the
#   target refuses the phase's writes, the source accepts them again; finish drops failback's slot
#   and every fence of the phase.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_cutover) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE customers (id integer PRIMARY KEY, region text NOT NULL, name text, "Credit Limit" numeric(12, 2));
CREATE TABLE orders (id bigint PRIMARY KEY, region text NOT NULL, customer_id integer NOT NULL,
                     amount numeric(12, 2), note text, updated_at timestamptz);
CREATE SEQUENCE order_ids START 100000;
INSERT INTO customers SELECT i, (ARRAY['a','b','c','d'])[1 + i % 4], 'customer ' || i, i * 10 FROM generate_series(1, 400) i;
INSERT INTO orders SELECT i, (ARRAY['a','b','c','d'])[1 + i % 4], 1 + i % 400, i * 1.5, 'o' || i, now()
    FROM generate_series(1, 4000) i;
SQL

REGIONS=(a b c d)
phase_args() { printf '%s\0' --phase "$1" --tables 'public.customers,public.orders' \
    --where "public.customers: region = '$1'" --where "public.orders: region = '$1'"; }
for r in "${REGIONS[@]}"; do
    mapfile -d '' args < <(phase_args "$r")
    gw_fetch 0 "$DB" "$DB" "${args[@]}" || abort_test "fetch of region $r"
done

# The load: one writer per region, each transaction updates one customer and inserts and updates an
# order of its region, on the side the region is written on (a file per region says which).
mkdir -p "$GW_OUT/sides"
for r in "${REGIONS[@]}"; do echo src >"$GW_OUT/sides/$r"; done
writer() {   # REGION BASE
    local r=$1 base=$2 n=0 side url
    while [ ! -e "$GW_OUT/stop" ]; do
        # The file is rewritten while this reads it: anything but src or tgt (empty, pause) writes nothing.
        side=$(cat "$GW_OUT/sides/$r")
        case $side in
        src) url=$(src_url "$DB") ;;
        tgt) url=$(tgt_url "$DB") ;;
        *) sleep 0.05; continue ;;
        esac
        if psql -X -q -v ON_ERROR_STOP=1 "$url" >/dev/null 2>>"$GW_OUT/writer_$r.err" <<SQL
BEGIN;
UPDATE customers SET "Credit Limit" = "Credit Limit" + 1
    WHERE id = (SELECT id FROM customers WHERE region = '$r' ORDER BY random() LIMIT 1);
INSERT INTO orders VALUES ($((base + n)), '$r', 1, 1, 'from $side', now());
UPDATE orders SET amount = amount + 1, updated_at = now()
    WHERE id = (SELECT id FROM orders WHERE region = '$r' AND id < 5000 ORDER BY random() LIMIT 1);
COMMIT;
SQL
        then n=$((n + 1)); echo "$n" >"$GW_OUT/writer_$r.count"; fi
    done
}
i=0
for r in "${REGIONS[@]}"; do i=$((i + 1)); writer "$r" $((i * 1000000)) & eval "W_$r=\$!"; done

declare -A REP FB
for r in "${REGIONS[@]}"; do
    bg_replicate "R_$r" "$DB" "$DB" --phase "$r"
    REP[$r]=$(eval echo "\$R_$r")
done
sleep 1

# Digests of a region's rows, by each server.
digest_where() { table_digest "$1" "$DB" "$2" "$3" "$4"; }
rows_in_sync() { [ "$(digest_where src "$@" 2>/dev/null)" = "$(digest_where tgt "$@" 2>/dev/null)" ]; }
assert_rows_same() { assert_eq "$(digest_where src "$@" 2>&1)" "$(digest_where tgt "$@" 2>&1)" "table $1 WHERE $3: source and target"; }
region_in_sync() { rows_in_sync public.customers id "region = '$1'" && rows_in_sync public.orders id "region = '$1'"; }
for r in "${REGIONS[@]}"; do
    out_var="R_${r}_ERR"
    if [ "$r" != d ]; then
        # Cutover with a fence: its replicate stops by itself at the fence, exit 0.
        if [ "$r" != c ]; then
            assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$r" --fence \
                --verify sample
            assert_contains_re "$OUT" "phase $r cut over: write downtime [0-9.]+ s \(fence to failback prepared"
        else
            # --format json: one object with the measured downtime and both positions.
            assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$r" --fence \
                --verify sample --format json
            assert_json "$OUT"
            assert_eq "c sample true ok" "$(python3 -c 'import json,sys; o = json.load(sys.stdin)
print(o["phase"], o["verify"], str(o["fenced"]).lower(), "ok" if 0 < o["write_downtime_seconds"] < 60 and o["fence_position"] and o["failback_position"] else o)' <"$OUT")" "cutover's JSON"
        fi
    else
        # Without a fence: the application stops writing the region; cutover waits for the quiet period.
        echo pause >"$GW_OUT/sides/$r"
        assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$r" \
            --quiet-seconds 2 --verify full
        assert_contains_re "$OUT" "phase $r cut over: write downtime [0-9.]+ s \(last write seen to failback prepared"
        assert_contains "$ERR" "no change for 2000 ms"
        assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '$(fence_name "$DB" d)%'")" "no fence for region d"
    fi
    echo tgt >"$GW_OUT/sides/$r"
    wait_exit "${REP[$r]}" 30
    assert_eq 0 "$RC" "replicate of region $r exits 0 by itself at the cutover"
    assert_contains "${!out_var}" "being cut over"
    bg_start "FB_$r" "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$r"
    FB[$r]=$(eval echo "\$FB_$r")
done

# The fence: a write of region a's rows on the source is refused, naming the phase; another region's
# row in the same table is refused too only if that region is cut over (all are now), so test with
# a row of no phase.
psql_src "$DB" "INSERT INTO orders VALUES (-1, 'z', 1, 1, 'no phase', now())" >/dev/null || fail "a row of no phase is refused by the fences"
assert_exit 1 psql -X -v ON_ERROR_STOP=1 "$(src_url "$DB")" -c "UPDATE orders SET amount = 0 WHERE region = 'a' AND id = 4"
assert_contains "$ERR" 'phase "a" is fenced'
assert_exit 1 psql -X -v ON_ERROR_STOP=1 "$(src_url "$DB")" -c "UPDATE orders SET region = 'b' WHERE id = -1"
assert_contains "$ERR" 'phase "b" is fenced'
assert_exit 1 psql -X -v ON_ERROR_STOP=1 "$(src_url "$DB")" -c "TRUNCATE orders"
gw_replicate 2 "$DB" "$DB" --phase a
assert_contains "$ERR" "is cut over"

sleep 2
touch "$GW_OUT/stop"
for r in "${REGIONS[@]}"; do wait "$(eval echo "\$W_$r")"; done
for r in "${REGIONS[@]}"; do
    note "region $r: $(cat "$GW_OUT/writer_$r.count" 2>/dev/null || echo 0) transactions"
    assert_ge 5 "$(cat "$GW_OUT/writer_$r.count" 2>/dev/null || echo 0)" "transactions of region $r's writer"
done
for r in "${REGIONS[@]}"; do
    wait_for 60 region_in_sync "$r" || fail "region $r did not come back to the source"
    stop_bg "${FB[$r]}" 30 TERM
    assert_eq 0 "$RC" "failback of region $r stops cleanly"
    assert_rows_same public.customers id "region = '$r'"
    assert_rows_same public.orders id "region = '$r'"
done
for r in "${REGIONS[@]}"; do
    assert_ge 1 "$(psql_tgt "$DB" "SELECT count(*) FROM orders WHERE region = '$r' AND note = 'from tgt'")" "region $r written on the target after its cutover"
done

# Rollback of region a: its writes on the target reach the source, then the target refuses them.
setup_tgt "$DB" "UPDATE orders SET note = 'before rollback' WHERE region = 'a' AND id = 4; INSERT INTO orders VALUES (-4, 'a', 1, 4, 'new before rollback', now())"
assert_exit 0 "$GODWIT" rollback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase a
assert_contains_re "$OUT" "phase a rolled back: write downtime [0-9.]+ s"
assert_eq "before rollback" "$(psql_src "$DB" "SELECT note FROM orders WHERE id = 4")" "an update made on the target before the rollback"
assert_eq "new before rollback" "$(psql_src "$DB" "SELECT note FROM orders WHERE id = -4")" "an insert made on the target before the rollback"
assert_rows_same public.orders id "region = 'a'"
assert_exit 1 psql -X -v ON_ERROR_STOP=1 "$(tgt_url "$DB")" -c "UPDATE orders SET amount = 0 WHERE region = 'a' AND id = 4"
assert_contains "$ERR" 'phase "a" is fenced'
psql_src "$DB" "UPDATE orders SET note = 'source again' WHERE id = 4" >/dev/null || fail "the source accepts region a's writes after the rollback"
assert_eq "rolled_back" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'a'")" "phase a's status"
assert_eq "1" "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events WHERE phase = 'a' AND kind = 'rollback'")" "rollback event"
assert_eq "4" "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events WHERE kind = 'cutover' AND (detail->>'write_downtime_seconds')::float < 60")" "cutover events with their downtime"

# A phase past its fetch is never fetched again under its name (a resume would mark it fetched).
mapfile -d '' args < <(phase_args a)
gw_fetch 2 "$DB" "$DB" "${args[@]}" --resume
assert_contains "$ERR" "phase 'a' is past its fetch (status rolled_back)"
mapfile -d '' args < <(phase_args b)
gw_fetch 2 "$DB" "$DB" "${args[@]}" --schema drop-create
assert_contains "$ERR" "phase 'b' is past its fetch (status failback)"
assert_eq "failback" "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'b'")" "phase b's status after the refused fetch"

# Status: every phase's state, its streams' lag, the last verify (cutover's), the cutover's downtime.
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")" --source "$(src_url "$DB")"
assert_contains "$OUT" "phase a: rolled back"
assert_contains "$OUT" "phase b: cut over, failing back"
assert_contains_re "$OUT" "last verify: equal \(sample, 2 tables, 0 different"
assert_contains_re "$OUT" "event cutover at .*: write downtime [0-9.]+ s"
assert_contains_re "$OUT" "lag: .* of log behind the target"
assert_exit 0 "$GODWIT" status --target "$(tgt_url "$DB")" --format json
assert_json "$OUT"

# Finish: failback's slot and every fence of the phase are gone.
assert_exit 0 "$GODWIT" finish --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase a
assert_eq "0" "$(psql_tgt "" "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '$(slot_name "$DB" a)%'")" "failback slot of a dropped"
assert_eq "0" "$(psql_tgt "$DB" "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '$(fence_name "$DB" a)%'")" "target fence of a removed"
psql_tgt "$DB" "UPDATE orders SET note = 'target after finish' WHERE id = 4" >/dev/null || fail "the target accepts region a's writes after finish"
assert_eq "0" "$(psql_src "" "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$(slot_name "$DB" b)'")" "forward slot of b dropped at its cutover"
finish
