#!/usr/bin/env bash
# demo/demo.sh: a live, phased migration on throwaway local servers, in about a minute.
#
# A shop database (customers and orders of four regions a, b, c, d) on a source PostgreSQL 15 is
# moved region by region to a target PostgreSQL 15, while a small application writes to every
# region all the time: one loop per region, each iteration one transaction (update a customer,
# insert an order, update an order) sent with psql to the server that holds the region, the
# source until the region is cut over, the target from then on.  A write refused by the fence
# during a cutover is retried until it succeeds, on the target once the cutover is done.
#
# Per region (phase of demo/plan.json): godwit fetch (snapshot + copy), godwit replicate in the
# background (catch-up), godwit cutover --fence (write downtime), godwit failback in the
# background (the target's writes flow back to the source).  Then godwit verify of every phase,
# godwit status, and a check by independent SQL: the md5 of each region's rows, per table,
# computed by each server.  Servers are removed at the end (tests/servers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
GODWIT=${GODWIT:-$PWD/build/godwit}
PLAN=demo/plan.json
REGIONS=(a b c d)
T_START=$SECONDS

# Background jobs (load, replicate, failback) are stopped on any exit, then the servers.
. tests/servers.sh
BG=()
demo_cleanup() {
    local p
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap 'demo_cleanup; _gw_on_exit' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
indent() { sed 's/^/   /'; }
# The godwit command lines are shown with $SRC and $TGT for the URLs.
show() { local a=" $*"; a=${a//$GODWIT/godwit}; a=${a//$SRC/\$SRC}; echo "  \$${a//$TGT/\$TGT}"; }

say "starting a source and a target PostgreSQL 15 on loopback"
pg_server_start demo_src >/dev/null
pg_server_start demo_tgt >/dev/null
SRC=$(pg_url demo_src shop)
TGT=$(pg_url demo_tgt shop)
q "$(pg_url demo_src postgres)" -c "CREATE DATABASE shop"
q "$(pg_url demo_tgt postgres)" -c "CREATE DATABASE shop"
echo "  SRC=$SRC"
echo "  TGT=$TGT"
W=$GW_TMP/demo   # the demo's files; servers.sh removes GW_TMP at the end
mkdir -p "$W"

say "the application's database on the source: customers and orders of regions a, b, c, d"
q "$SRC" <<'SQL'
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    region text NOT NULL,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    balance numeric(12,2) NOT NULL DEFAULT 0
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    region text NOT NULL,
    status order_status NOT NULL DEFAULT 'new',
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    items jsonb NOT NULL,
    placed_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_region_status_idx ON orders (region, status);
INSERT INTO customers
SELECT i, chr(97 + (i - 1) % 4), 'Customer ' || i, 'c' || i || '@example.com', (i % 1000) * 1.5
FROM generate_series(1, 2000) i;
INSERT INTO orders
SELECT i, c, chr(97 + (c - 1) % 4), (ARRAY['new','paid','shipped','cancelled']::order_status[])[1 + i % 4],
       round((i % 5000)::numeric / 7, 2),
       jsonb_build_object('sku', 'SKU-' || (i % 977), 'qty', 1 + i % 5, 'note', E'multi\nline \u00e9'),
       timestamptz '2024-06-01' + i * interval '7 minutes'
FROM generate_series(1, 10000) i, LATERAL (SELECT 1 + (i - 1) % 2000 AS c) cc;
ANALYZE;
SQL
q "$SRC" -F ' ' -c "SELECT region, count(*) FROM customers GROUP BY 1 ORDER BY 1" >"$W/c"
q "$SRC" -F ' ' -c "SELECT region, count(*) FROM orders GROUP BY 1 ORDER BY 1" >"$W/o"
join "$W/c" "$W/o" | awk '{printf "  region %s: %s customers, %s orders\n", $1, $2, $3}'
echo "  the migration plan, $PLAN: one phase per region, the same two tables with a row filter each:"
sed -n '1,3p' "$PLAN" | sed 's/^/     /'
echo "       ... phases b, c and d alike"

# ---------------------------------------------------------------- the application
# One writer per region.  Its side (src or tgt) is read from a file before each transaction; the
# demo switches it right after the region's cutover, as an application's configuration would be.
# Counters (written atomically): on-source on-target refused other-errors longest-stall-seconds.
writer() {   # REGION INDEX
    set +e
    local r=$1 n=0 id side url err ok_src=0 ok_tgt=0 refused=0 other=0 stall=0 t0="" dt
    while [ -d "$W" ] && [ ! -e "$W/stop" ]; do
        n=$((n + 1)); id=$(($2 * 1000000 + n))
        local sql="BEGIN;
UPDATE customers SET balance = balance + 1
 WHERE id = (SELECT id FROM customers WHERE region = '$r' ORDER BY random() LIMIT 1);
INSERT INTO orders (id, customer_id, region, amount, items, placed_at)
 SELECT $id, id, '$r', 9.99, '{\"sku\": \"SKU-$n\", \"qty\": 1}', now()
 FROM customers WHERE region = '$r' ORDER BY random() LIMIT 1;
UPDATE orders SET status = 'paid'
 WHERE id = (SELECT id FROM orders WHERE region = '$r' AND status = 'new' ORDER BY random() LIMIT 1);
COMMIT;"
        while [ -d "$W" ] && [ ! -e "$W/stop" ]; do
            side=$(cat "$W/side_$r" 2>/dev/null) || break
            if [ "$side" = tgt ]; then url=$TGT; else url=$SRC; fi
            if err=$(psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c "$sql" 2>&1 >/dev/null); then
                if [ "$side" = tgt ]; then ok_tgt=$((ok_tgt + 1)); else ok_src=$((ok_src + 1)); fi
                if [ -n "$t0" ]; then
                    dt=$(echo "$EPOCHREALTIME - $t0" | bc)
                    [ "$(echo "$dt > $stall" | bc)" = 1 ] && stall=$dt
                    t0=""
                fi
                break
            fi
            case $err in
                *"is fenced"*) refused=$((refused + 1)); [ -n "$t0" ] || t0=$EPOCHREALTIME ;;
                *) other=$((other + 1)); echo "$err" >>"$W/writer_$r.err" ;;
            esac
            sleep 0.05
        done
        echo "$ok_src $ok_tgt $refused $other $stall" >"$W/count_$r.tmp" && mv "$W/count_$r.tmp" "$W/count_$r"
        sleep 0.1
    done
}
counts() { cat "$W/count_$1" 2>/dev/null || echo "0 0 0 0 0"; }
i=0
for r in "${REGIONS[@]}"; do
    echo src >"$W/side_$r"
    i=$((i + 1))
    writer "$r" "$i" &
    BG+=($!)
done
say "the application is running: one writer per region, each a transaction every ~0.15 s on the source"

# Digest of a region's rows of one table, computed by the server (same SQL on both sides).
digest() {   # URL TABLE REGION
    q "$1" -c "SELECT md5(coalesce(string_agg(t::text, E'\n' ORDER BY id), '')) || ' ' || count(*)
               FROM public.$2 t WHERE region = '$3'"
}
region_in_sync() {   # REGION
    local t
    for t in customers orders; do
        [ "$(digest "$SRC" "$t" "$1")" = "$(digest "$TGT" "$t" "$1")" ] || return 1
    done
}
norders() { q "$1" -c "SELECT count(*) FROM orders WHERE region = '$2'"; }

declare -A REP FB
for r in "${REGIONS[@]}"; do
    say "phase $r: region $r moves to the target"

    step "phase $r, 1/4 load: godwit fetch (one snapshot, its slot, copy of region $r's rows)"
    show "$GODWIT" fetch --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" --jobs 2
    "$GODWIT" fetch -q --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" --jobs 2 >"$W/fetch_$r.out"
    if [ "$r" = a ]; then indent <"$W/fetch_$r.out"; else grep '^fetched' "$W/fetch_$r.out" | indent; fi

    step "phase $r, 2/4 catch-up: godwit replicate in the background streams region $r's writes"
    show "$GODWIT" replicate --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" "&"
    "$GODWIT" replicate --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" 2>"$W/replicate_$r.log" &
    REP[$r]=$!
    BG+=($!)
    sleep 3
    s=$(norders "$SRC" "$r"); t=$(norders "$TGT" "$r")
    echo "   after 3 s: region $r's orders on the source $s, on the target $t (the writer keeps adding)"
    "$GODWIT" status --target "$TGT" --source "$SRC" | sed -n "/^phase $r:/,/^phase /p" |
        grep -A1 'stream forward' | grep -v '^--' | sed 's/^ */   godwit status: /'

    step "phase $r, 3/4 cutover: fence region $r on the source, drain, verify a sample, prepare failback"
    show "$GODWIT" cutover --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" --fence --verify sample
    if ! "$GODWIT" cutover --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" --fence --verify sample \
            >"$W/cutover_$r.out" 2>"$W/cutover_$r.log"; then
        cat "$W/cutover_$r.out" "$W/cutover_$r.log"; echo "demo FAILED: cutover of phase $r"; exit 1
    fi
    echo tgt >"$W/side_$r"   # the application now writes region r to the target
    if [ "$r" = a ]; then indent <"$W/cutover_$r.out"; else grep 'cut over' "$W/cutover_$r.out" | indent; fi
    rc=0; wait "${REP[$r]}" || rc=$?
    echo "   godwit replicate of phase $r exited $rc by itself at the fence (\"$(grep -o 'being cut over[^,]*' "$W/replicate_$r.log" | head -1)\")"
    [ "$rc" = 0 ] || { tail -5 "$W/replicate_$r.log"; echo "demo FAILED: replicate of phase $r"; exit 1; }
    if [ "$r" = a ]; then
        echo "   on the source now, a write to a region a row is refused; one to a region b row is not:"
        echo "   \$ psql \$SRC -c \"UPDATE orders SET amount = 0 WHERE id = 1 -- region a\""
        { psql -X -q -d "$SRC" -c "UPDATE orders SET amount = 0 WHERE id = 1" 2>&1 || true; } | head -1 | indent
        echo "   \$ psql \$SRC -c \"UPDATE orders SET amount = amount WHERE id = 2 -- region b\""
        psql -X -d "$SRC" -c "UPDATE orders SET amount = amount WHERE id = 2" 2>&1 | indent
    fi

    step "phase $r, 4/4 failback: godwit failback in the background keeps the source up to date"
    show "$GODWIT" failback --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" "&"
    "$GODWIT" failback --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" 2>"$W/failback_$r.log" &
    FB[$r]=$!
    BG+=($!)
    sleep 1.5
    t=$(norders "$TGT" "$r"); t0=$EPOCHREALTIME
    until [ "$(norders "$SRC" "$r")" -ge "$t" ]; do
        kill -0 "${FB[$r]}" 2>/dev/null || { tail -5 "$W/failback_$r.log"; echo "demo FAILED: failback of phase $r"; exit 1; }
        sleep 0.1
    done
    read -r _ on_tgt refused _ stall < <(counts "$r")
    printf '   the application: %s writes of region %s refused by the fence, retried until the target took them\n' "$refused" "$r"
    printf '   (longest wait %.2f s); %s transactions of region %s on the target so far\n' "$stall" "$on_tgt" "$r"
    printf '   region %s orders: %s on the target, the source has them all (within %.1f s)\n' "$r" "$t" \
        "$(echo "$EPOCHREALTIME - $t0" | bc)"
done

say "every region is on the target; stopping the application"
touch "$W/stop"
for p in "${BG[@]}"; do
    case " ${FB[*]} " in *" $p "*) ;; *) wait "$p" 2>/dev/null || true ;; esac
done
echo "   transactions of the application per region, and each cutover's write downtime (godwit's figure):"
printf '   %-7s %10s %10s %23s %13s %7s %15s\n' region "on source" "on target" "refused, then retried" "longest wait" errors "write downtime"
for r in "${REGIONS[@]}"; do
    read -r a b c d e < <(counts "$r")
    dt=$(grep -o 'write downtime [0-9.]* s' "$W/cutover_$r.out" | awk '{print $3}')
    printf '   %-7s %10s %10s %23s %11.2f s %7s %13s s\n' "$r" "$a" "$b" "$c" "$e" "$d" "$dt"
done

say "waiting for failback to bring the last writes to the source, then godwit verify of each phase"
for r in "${REGIONS[@]}"; do
    for _ in $(seq 1 100); do region_in_sync "$r" && break; sleep 0.2; done
done
fail=0
for r in "${REGIONS[@]}"; do
    show "$GODWIT" verify --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r"
    rc=0; "$GODWIT" verify -q --source "$SRC" --target "$TGT" --plan "$PLAN" --phase "$r" >"$W/verify_$r.out" 2>&1 || rc=$?
    grep -v '^public\.' "$W/verify_$r.out" | sed "s/\$/  (exit $rc)/" | indent
    [ "$rc" = 0 ] || { cat "$W/verify_$r.out"; fail=1; }
done

say "godwit status"
show "$GODWIT" status --target "$TGT" --source "$SRC"
"$GODWIT" status --target "$TGT" --source "$SRC" | grep -v '  event \(verify\|fetch\|failback_prepared\)' | indent

for r in "${REGIONS[@]}"; do
    kill -TERM "${FB[$r]}"
    rc=0; wait "${FB[$r]}" || rc=$?
    [ "$rc" = 0 ] || { echo "   failback of phase $r exited $rc"; tail -5 "$W/failback_$r.log"; fail=1; }
done

say "independent check: md5 of each region's rows in key order, computed by each server"
for r in "${REGIONS[@]}"; do
    for t in customers orders; do
        s=$(digest "$SRC" "$t" "$r"); d=$(digest "$TGT" "$t" "$r")
        if [ "$s" = "$d" ]; then v=equal; else v=DIFFERENT; fail=1; fi
        printf '   region %s %-9s source md5 %.12s.. %4s rows   target md5 %.12s.. %4s rows   %s\n' \
            "$r" "$t" "${s%% *}" "${s##* }" "${d%% *}" "${d##* }" "$v"
    done
done

if [ "$fail" = 0 ]; then
    say "demo complete in $((SECONDS - T_START)) s: four regions moved under load, every row equal on both servers"
    echo "   failback stays possible per region (godwit rollback --phase R); godwit finish --phase R ends it."
else
    say "demo FAILED: see above"
    exit 1
fi
