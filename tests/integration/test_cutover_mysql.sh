#!/usr/bin/env bash
# Phased migration MariaDB -> PostgreSQL, four regions under a load that writes every region on the
# side that holds it (MariaDB until the region's cutover, then PostgreSQL):
# - a plan file with one phase per region; each fetched with --plan, replicated in the background;
# - cutover --fence of each region in turn (its replicate exits 0 by itself), failback to MariaDB in
#   the background;
# - a fenced write on MariaDB is refused with a message naming the phase, a row of no phase passes,
#   a TRUNCATE of a fenced table is refused (the fence's foreign keys);
# - every region equal on both servers by independent SQL (count, sum and a hash of the rows
#   computed by each server), nothing lost;
# - rollback of one region after writes on PostgreSQL: all of them on MariaDB, PostgreSQL fenced.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_cut_my) || abort_test "create databases"
register_mdbs "$DB"

setup_m "$DB" - <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, region char(1) NOT NULL, name varchar(40), credit decimal(12, 2));
CREATE TABLE orders (id bigint PRIMARY KEY, region char(1) NOT NULL, customer_id int NOT NULL,
                     amount decimal(12, 2), note varchar(40));
INSERT INTO customers SELECT seq, ELT(1 + seq % 4, 'a', 'b', 'c', 'd'), CONCAT('customer ', seq), seq * 10 FROM seq_1_to_400;
INSERT INTO orders SELECT seq, ELT(1 + seq % 4, 'a', 'b', 'c', 'd'), 1 + seq % 400, seq * 1.5, CONCAT('o', seq) FROM seq_1_to_4000;
SQL

REGIONS=(a b c d)
{
    printf '{"phases": ['
    sep=""
    for r in "${REGIONS[@]}"; do
        printf '%s{"name": "cut_%s", "tables": ["gw_cut_my.customers", "gw_cut_my.orders"], "where": {"gw_cut_my.customers": "region = '"'"'%s'"'"'", "gw_cut_my.orders": "region = '"'"'%s'"'"'"}}' "$sep" "$r" "$r" "$r"
        sep=", "
    done
    printf ']}\n'
} >"$GW_OUT/plan.json"
for r in "${REGIONS[@]}"; do
    gw_mfetch 0 "$DB" "$DB" --plan "$GW_OUT/plan.json" --phase "cut_$r" || abort_test "fetch of region $r"
done

mkdir -p "$GW_OUT/sides"
for r in "${REGIONS[@]}"; do echo m >"$GW_OUT/sides/$r"; done
writer() {   # REGION BASE
    local r=$1 base=$2 n=0 side
    while [ ! -e "$GW_OUT/stop" ]; do
        # The file is rewritten while this reads it: anything but m or p (empty) writes nothing.
        side=$(cat "$GW_OUT/sides/$r")
        case $side in m | p) ;; *) sleep 0.05; continue ;; esac
        local ok=1
        if [ "$side" = m ]; then
            msql "$DB" "START TRANSACTION; UPDATE customers SET credit = credit + 1 WHERE region = '$r' ORDER BY RAND() LIMIT 1;
                INSERT INTO orders VALUES ($((base + n)), '$r', 1, 1, 'from mariadb');
                UPDATE orders SET amount = amount + 1 WHERE region = '$r' AND id < 5000 ORDER BY RAND() LIMIT 1; COMMIT" \
                >/dev/null 2>>"$GW_OUT/writer_$r.err" || ok=0
        else
            psql -X -q -v ON_ERROR_STOP=1 "$(tgt_url "$DB")" >/dev/null 2>>"$GW_OUT/writer_$r.err" <<SQL || ok=0
BEGIN;
UPDATE gw_cut_my.customers SET credit = credit + 1 WHERE id = (SELECT id FROM gw_cut_my.customers WHERE region = '$r' ORDER BY random() LIMIT 1);
INSERT INTO gw_cut_my.orders VALUES ($((base + n)), '$r', 1, 1, 'from postgresql');
UPDATE gw_cut_my.orders SET amount = amount + 1 WHERE id = (SELECT id FROM gw_cut_my.orders WHERE region = '$r' AND id < 5000 ORDER BY random() LIMIT 1);
COMMIT;
SQL
        fi
        if [ "$ok" = 1 ]; then n=$((n + 1)); echo "$n" >"$GW_OUT/writer_$r.count"; fi
    done
}
i=0
for r in "${REGIONS[@]}"; do i=$((i + 1)); writer "$r" $((i * 1000000)) & eval "W_$r=\$!"; done

declare -A REP FB
for r in "${REGIONS[@]}"; do
    bg_start "R_$r" "$GODWIT" replicate --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "cut_$r"
    REP[$r]=$(eval echo "\$R_$r")
done
sleep 1

# A region's rows, by each server: count, sum of amounts and credits, md5 of the rows in id order.
digest_m() {
    msql "$DB" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT((SELECT COUNT(*) FROM orders WHERE region = '$1'), ' ',
        (SELECT SUM(amount) FROM orders WHERE region = '$1'), ' ', (SELECT SUM(credit) FROM customers WHERE region = '$1'), ' ',
        (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, customer_id, amount, note) ORDER BY id SEPARATOR '\n')) FROM orders WHERE region = '$1'))"
}
digest_p() {
    psql_tgt "$DB" "SELECT (SELECT count(*) FROM gw_cut_my.orders WHERE region = '$1') || ' ' ||
        (SELECT sum(amount) FROM gw_cut_my.orders WHERE region = '$1') || ' ' || (SELECT sum(credit) FROM gw_cut_my.customers WHERE region = '$1') || ' ' ||
        (SELECT md5(string_agg(concat_ws('|', id, customer_id, amount, note), E'\n' ORDER BY id)) FROM gw_cut_my.orders WHERE region = '$1')"
}
region_in_sync() { [ "$(digest_m "$1" 2>/dev/null)" = "$(digest_p "$1" 2>/dev/null)" ]; }

# A user who may not make the fence's triggers (nor write back for failback, which is said first):
# refused with the GRANT to run, and the phase's next cutover (as a user who may) goes through.
setup_m "" "DROP USER IF EXISTS 'gw_cut_nofence'@'127.0.0.1'; CREATE USER 'gw_cut_nofence'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE ON gw_cut_my.* TO 'gw_cut_nofence'@'127.0.0.1';
GRANT REPLICATION SLAVE, BINLOG MONITOR, RELOAD ON *.* TO 'gw_cut_nofence'@'127.0.0.1'"
assert_exit 2 "$GODWIT" cutover --source "$(m_url "$DB" gw_cut_nofence)" --target "$(tgt_url "$DB")" \
    --plan "$GW_OUT/plan.json" --phase cut_a --fence --verify none
assert_contains_re "$ERR" "as an administrator: GRANT [A-Z ,]+ ON .*TO 'gw_cut_nofence'@'127.0.0.1'"
# Before anything moved, it said failback could not write back with that user either.
assert_contains "$ERR" "failback into the source would be refused as things are"
assert_contains "$ERR" "failback keeps its state in database _godwit"
assert_eq 0 "$(msql "" "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME LIKE 'godwit%'")" \
    "fence triggers left by the refused cutover"
setup_m "" "DROP USER 'gw_cut_nofence'@'127.0.0.1'"

for r in "${REGIONS[@]}"; do
    assert_exit 0 "$GODWIT" cutover --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --plan "$GW_OUT/plan.json" \
        --phase "cut_$r" --fence --verify sample
    assert_contains_re "$OUT" "phase cut_$r cut over: write downtime [0-9.]+ s"
    echo p >"$GW_OUT/sides/$r"
    wait_exit "${REP[$r]}" 30
    assert_eq 0 "$RC" "replicate of region $r exits 0 by itself at the cutover"
    bg_start "FB_$r" "$GODWIT" failback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "cut_$r"
    FB[$r]=$(eval echo "\$FB_$r")
done

msql "$DB" "INSERT INTO orders VALUES (-1, 'z', 1, 1, 'no phase')" || fail "a row of no phase is refused by the fences"
msql "$DB" "UPDATE orders SET amount = 0 WHERE id = 4" >/dev/null 2>"$GW_OUT/fenced.err" && fail "a fenced write went through on MariaDB"
assert_contains "$GW_OUT/fenced.err" 'phase "cut_a" is fenced'
msql "$DB" "UPDATE orders SET region = 'b' WHERE id = -1" >/dev/null 2>"$GW_OUT/fenced2.err" && fail "a write moving a row into a fenced phase went through"
assert_contains "$GW_OUT/fenced2.err" 'phase "cut_b" is fenced'
# TRUNCATE fires no trigger: the fence's empty tables in _godwit, whose foreign keys reference each
# table, make InnoDB refuse it (two tables per phase, four phases).
msql "$DB" "TRUNCATE TABLE orders" >/dev/null 2>"$GW_OUT/fenced3.err" && fail "a TRUNCATE of a fenced table went through"
assert_contains "$GW_OUT/fenced3.err" "godwit_fence_"
assert_eq 8 "$(msql "" "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '_godwit' AND TABLE_NAME LIKE 'godwit\\_fence\\_%'")" \
    "the fences' truncate guards"

sleep 2
touch "$GW_OUT/stop"
for r in "${REGIONS[@]}"; do wait "$(eval echo "\$W_$r")"; done
for r in "${REGIONS[@]}"; do
    note "region $r: $(cat "$GW_OUT/writer_$r.count" 2>/dev/null || echo 0) transactions"
    wait_for 60 region_in_sync "$r" || fail "region $r did not come back to MariaDB"
    assert_eq "$(digest_m "$r")" "$(digest_p "$r")" "region $r on MariaDB and PostgreSQL"
    assert_ge 1 "$(psql_tgt "$DB" "SELECT count(*) FROM gw_cut_my.orders WHERE region = '$r' AND note = 'from postgresql'")" "region $r written on PostgreSQL after its cutover"
done
for r in b c d; do stop_bg "${FB[$r]}" 30 TERM; assert_eq 0 "$RC" "failback of region $r stops cleanly"; done

# Rollback of region a while its failback runs: it stops by itself at the target's fence.
setup_tgt "$DB" "UPDATE gw_cut_my.orders SET note = 'before rollback' WHERE id = 4; INSERT INTO gw_cut_my.orders VALUES (-4, 'a', 1, 4, 'new before rollback')"
assert_exit 0 "$GODWIT" rollback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase cut_a
wait_exit "${FB[a]}" 30
assert_eq 0 "$RC" "failback of region a exits 0 by itself at the rollback"
assert_eq "before rollback" "$(msql "$DB" "SELECT note FROM orders WHERE id = 4")" "an update made on PostgreSQL before the rollback"
assert_eq "new before rollback" "$(msql "$DB" "SELECT note FROM orders WHERE id = -4")" "an insert made on PostgreSQL before the rollback"
assert_eq "$(digest_m a)" "$(digest_p a)" "region a on both sides after the rollback"
assert_exit 1 psql -X -v ON_ERROR_STOP=1 "$(tgt_url "$DB")" -c "UPDATE gw_cut_my.orders SET amount = 0 WHERE id = 4"
assert_contains "$ERR" 'phase "cut_a" is fenced'
msql "$DB" "UPDATE orders SET note = 'mariadb again' WHERE id = 4" || fail "MariaDB accepts region a's writes after the rollback"
assert_exit 0 "$GODWIT" finish --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase cut_a
assert_eq "0" "$(msql "" "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE LOCATE('$(fence_name "$DB" cut_a)_', TRIGGER_NAME) = 1")" "MariaDB fence triggers of a removed"
assert_eq "0" "$(msql "" "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '_godwit' AND LOCATE('$(fence_name "$DB" cut_a)_', TABLE_NAME) = 1")" "MariaDB truncate guards of a removed"

# Rollback of region b with its failback stopped (above): rollback streams the target's changes itself,
# and --format json prints one object.
setup_tgt "$DB" "UPDATE gw_cut_my.orders SET note = 'b before rollback' WHERE id = 5; INSERT INTO gw_cut_my.orders VALUES (-5, 'b', 1, 5, 'b new before rollback')"
assert_exit 0 "$GODWIT" rollback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase cut_b --format json
assert_json "$OUT"
assert_eq "cut_b" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["phase"])' <"$OUT")" "phase in rollback's JSON"
assert_contains "$OUT" '"write_downtime_seconds"'
assert_eq "b before rollback" "$(msql "$DB" "SELECT note FROM orders WHERE id = 5")" "an update made on PostgreSQL before region b's rollback"
assert_eq "b new before rollback" "$(msql "$DB" "SELECT note FROM orders WHERE id = -5")" "an insert made on PostgreSQL before region b's rollback"
assert_eq "$(digest_m b)" "$(digest_p b)" "region b on both sides after its rollback"
finish
