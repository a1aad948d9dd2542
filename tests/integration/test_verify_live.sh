#!/usr/bin/env bash
# godwit verify --live while the source is written to, PostgreSQL -> PostgreSQL.  fetch, replicate in
# the background, and a steady write load on the source (pgbench with a custom script, rate-limited:
# updates of accounts, inserts of history rows, deletes and re-inserts of other accounts).  A control
# first: with the replicator paused (SIGSTOP) the target falls behind, and verify --live 2 reports the
# persisting differences (exit 1).  Then, the replicator resumed (its backlog still being applied),
# verify --live 30 must exit 0: rows that differ only because replication has not applied them yet
# are re-read until they match (the load is checked to have written during the verify, and both
# background processes to be still running).  Then one real difference is planted directly on the
# target, on a row the load never touches: verify --live 10 under the same load exits 1 naming exactly
# that key and column.  After the load stops and the replicator has caught up (an md5 of the rows
# computed on each server), a plain verify names the same row; its --repair-sql fixes it.  The load
# and the replicator are stopped at the end; lib.sh's EXIT trap kills them on every other path.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_verify_live) || abort_test "createdb"
register_dbs "$DB"
PHASE=vlive

setup_src "$DB" - <<'SQL'
CREATE TABLE acct (id integer PRIMARY KEY, bal bigint NOT NULL, note text, at timestamptz NOT NULL DEFAULT now());
INSERT INTO acct SELECT i, i * 10, 'quiet ' || i || ' ' || repeat('p', 80), timestamptz '2024-01-01 00:00+00' + i * interval '1 s'
    FROM generate_series(1, 20000) i;
CREATE TABLE hist (id bigserial PRIMARY KEY, aid integer NOT NULL, delta integer NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO hist (aid, delta) SELECT i, i FROM generate_series(1, 1000) i;
ANALYZE;
SQL
# The load: accounts 1-10000 are updated, 10001-19000 deleted and inserted again, 19001-20000 never
# touched (the planted difference goes there).
cat >"$GW_OUT/load.sql" <<'SQL'
\set aid random(1, 10000)
\set did random(10001, 19000)
\set delta random(-500, 500)
BEGIN;
UPDATE acct SET bal = bal + :delta, note = 'upd ' || :delta, at = now() WHERE id = :aid;
INSERT INTO hist (aid, delta) VALUES (:aid, :delta);
COMMIT;
DELETE FROM acct WHERE id = :did;
INSERT INTO acct (id, bal, note) VALUES (:did, :delta, 'ins') ON CONFLICT (id) DO UPDATE SET bal = EXCLUDED.bal, note = 'reins';
SQL




# gw_verify CODE ARGS...: godwit verify of the phase, asserting the exit code.
gw_verify() {
    local code=$1; shift
    assert_exit "$code" "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE" "$@"
}
hist_src() { psql_src "$DB" "SELECT count(*) FROM hist"; }
hist_tgt_at_least() { [ "$(psql_tgt "$DB" "SELECT count(*) >= $1 FROM hist" 2>/dev/null)" = t ]; }
# in_sync_except KEY: every row of both tables equal on the two sides, acct's row KEY left out.
in_sync_except() {
    tables_in_sync "$DB" "$DB" public.hist id &&
        [ "$(table_digest src "$DB" public.acct id "id <> $1" 2>/dev/null)" = "$(table_digest tgt "$DB" public.acct id "id <> $1" 2>/dev/null)" ]
}

gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --jobs 2 || abort_test "fetch failed"
assert_tables_equal "$DB" "$DB" public.acct id
assert_tables_equal "$DB" "$DB" public.hist id

bg_replicate REPL "$DB" "$DB" --phase "$PHASE"
bg_pgbench LOAD "$DB" -n -f "$GW_OUT/load.sql" -c 2 -j 2 -R 200 -T 150
# The load runs and the replicator applies it (a polled condition).
wait_for 30 hist_tgt_at_least 1100 || {
    _gw_dump "$LOAD_ERR" "pgbench stderr"; _gw_dump "$REPL_ERR" "replicate stderr"
    abort_test "the load did not reach the target through replicate within 30 s (source hist: $(hist_src), target: $(psql_tgt "$DB" "SELECT count(*) FROM hist" 2>&1))"
}

# ---- control: with the replicator paused (SIGSTOP) the target falls behind the load, and differences
# that persist are reported (exit 1), history rows missing on the target among them; so the load
# does make the two sides differ while it runs.
hist_src_ahead() { [ "$(hist_src)" -ge $(($1 + 100)) ]; }
kill -STOP "$REPL"
ht=$(psql_tgt "$DB" "SELECT count(*) FROM hist")
wait_for 30 hist_src_ahead "$ht" || fail "the load did not write 100 history rows in 30 s"
GW_CONTEXT="control: replicator paused"
gw_verify 1 --live 2 --format json --max-report 5
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("table") == "public.hist":
        sys.exit(0 if o.get("missing", 0) >= 100 else "public.hist: %r rows missing on the target, expected >= 100" % o.get("missing"))
sys.exit("no line for public.hist")' "$OUT" 2>"$GW_OUT/control.err" || fail "$(cat "$GW_OUT/control.err")"
GW_CONTEXT=""
kill -CONT "$REPL"

# ---- verify --live under load: no false difference
EQUAL=$(spec equal <<'JSON'
{"equal": true, "tables": {"public.acct": {"rows": [19000, 21000]}, "public.hist": {}}}
JSON
)
h0=$(hist_src)
GW_CONTEXT="verify --live 30 under load"
gw_verify 0 --live 30 --format json --max-report 1000 --jobs 2
check_report "verify --live 30 under load" "$OUT" "$EQUAL"
h1=$(hist_src)
note "history rows written on the source during the verify: $((h1 - h0))"
assert_ge 5 "$((h1 - h0))" "history rows written by the load on the source while verify --live ran"
is_running "$LOAD" || fail "the load (pgbench) is not running any more: $(_gw_first_lines "$LOAD_ERR")"
is_running "$REPL" || fail "replicate exited: $(_gw_first_lines "$REPL_ERR")"
GW_CONTEXT=""

# ---- one real difference on a row the load does not touch
setup_tgt "$DB" "UPDATE acct SET note = 'planted' WHERE id = 19500"
NOTE=$(psql_src "$DB" "SELECT note FROM acct WHERE id = 19500")
PLANTED=$(python3 -c '
import json, sys
print(json.dumps({"equal": False, "max_report": 1000, "tables": {
    "public.acct": {"rows": [19000, 21000], "mismatched": [[{"id": "19500"}, ["note"]]],
                    "values": [[{"id": "19500"}, "note", sys.argv[1], "planted"]]},
    "public.hist": {}}}))' "$NOTE" >"$GW_OUT/planted.json"; echo "$GW_OUT/planted.json")
h0=$(hist_src)
GW_CONTEXT="verify --live 10 under load, one planted difference"
# Run in the background so that its metrics can be read while it rechecks the planted row.
MPORT=$(free_port)
bg_start VER "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PHASE" \
    --live 10 --format json --max-report 1000 --jobs 2 --metrics-addr "127.0.0.1:$MPORT"
VER_OUT=$OUT
metrics_name_the_row() {
    curl -sf "http://127.0.0.1:$MPORT/metrics" 2>/dev/null | grep -q '^godwit_verify_differences{table="public.acct"} 1$'
}
wait_for 30 metrics_name_the_row || fail "verify's /metrics never showed godwit_verify_differences{table=\"public.acct\"} 1"
wait_exit "$VER" 120
assert_eq 1 "$RC" "exit code of verify --live 10 with a planted difference"
check_report "verify --live 10 with a planted difference" "$VER_OUT" "$PLANTED"
h1=$(hist_src)
assert_ge 5 "$((h1 - h0))" "history rows written by the load on the source while verify --live ran"
is_running "$LOAD" || fail "the load (pgbench) is not running any more: $(_gw_first_lines "$LOAD_ERR")"
is_running "$REPL" || fail "replicate exited: $(_gw_first_lines "$REPL_ERR")"
GW_CONTEXT=""

# ---- the load stops; once the replicator has caught up, a plain verify names the same row
stop_bg "$LOAD" 30 TERM
note "pgbench stopped (status $RC): $(grep -ahE '^(number of transactions actually processed|tps)' "$LOAD_OUT" "$LOAD_ERR" 2>/dev/null | head -n 2 | tr '\n' ' ')"
wait_for 60 synced_or_gone "$REPL" in_sync_except 19500 || fail "replicate did not catch up after the load stopped"
is_running "$REPL" || { fail "replicate exited after the load"; _gw_dump "$REPL_ERR" "replicate stderr"; }
gw_verify 1 --format json --max-report 1000 --repair-sql "$GW_OUT/repair.sql"
check_report "verify after the load, with the planted difference" "$OUT" "$PLANTED"
apply_repair "$GW_OUT/repair.sql" "$DB"
gw_verify 0 --format json
check_report "verify after the repair" "$OUT" "$EQUAL"
assert_tables_equal "$DB" "$DB" public.acct id
assert_tables_equal "$DB" "$DB" public.hist id

stop_bg "$REPL" 30 TERM
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
finish
