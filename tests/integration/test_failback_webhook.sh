#!/usr/bin/env bash
# Failback through a CockroachDB changefeed webhook, with PostgreSQL standing in for the CockroachDB target
# (it only holds the phase's state: no changefeed runs here).  Bodies follow CockroachDB's documented webhook
# format ({"payload": [...], "length": N} and {"resolved": "<nanos>.<logical>"}), posted with curl over TLS:
# - failback before the phase's cutover is refused (exit 2, pointing to cutover) with nothing made:
#   status and events unchanged on the target, no _godwit state on the source;
# - cutover --changefeed drains forward replication and records a cursor; the first failback run prints
#   the CREATE CHANGEFEED statement (cursor, options, the certificate as ca_cert, a placeholder instead
#   of the token);
# - inserts, updates with before/after, deletes and every value type are applied only once a resolved
#   timestamp covers them, and changes after it are not; a redelivered batch, out-of-order batches, a change
#   at or before the cursor, an older resolved timestamp, and the phase's row filter (a row moving out of
#   the phase is deleted, a row of another region is not touched) each do the right thing;
# - bodies over the cap (declared or streamed), malformed JSON, a wrong shape, an unknown table, a missing
#   or wrong token, a client without the certificate and other methods are refused with their status and
#   nothing is staged or applied;
# - kill -9 between a staged batch and its resolved timestamp, and right after a resolved timestamp: after a
#   restart every change is applied exactly once (an audit trigger on the source counts applications);
# - SIGTERM stops it cleanly; --stop-when-caught-up stops once quiet.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_fb_webhook) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE orders (id integer PRIMARY KEY, region text NOT NULL, amount numeric(12, 2), note text, tags text[],
                     doc jsonb, flag boolean, data bytea, at timestamptz, big numeric);
CREATE TABLE items (id integer PRIMARY KEY, name text);
INSERT INTO orders (id, region, amount, note) SELECT i, CASE WHEN i <= 10 THEN 'A' ELSE 'B' END, i, 'o' || i
    FROM generate_series(1, 20) i;
INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 5) i;
-- Counts every row change godwit applies, to tell "exactly once" from "at least once".
CREATE TABLE audit (tbl text, id integer, op text, note text);
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP,
                              CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW)->>'note' END);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_orders AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_items AFTER INSERT OR UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION audit_row();
-- godwit applies as a replica, which fires only triggers enabled ALWAYS: these count every application.
ALTER TABLE orders ENABLE ALWAYS TRIGGER audit_orders;
ALTER TABLE items ENABLE ALWAYS TRIGGER audit_items;
SQL
gw_fetch 0 "$DB" "$DB" --phase w --tables public.orders,public.items --where "public.orders: region = 'A'" \
    || abort_test "fetch"
# A forward change, drained by the cutover.
setup_src "$DB" "UPDATE orders SET note = 'drained' WHERE id = 2"

webhook_init w
MAX_BODY=65536

start_failback() { local var=$1; shift; webhook_failback_start "$var" "$DB" w --max-body "$MAX_BODY" "$@"; }
post() { webhook_post "$@"; }
body() { cat >"$GW_OUT/$1.json"; }
resolved() { printf '{"resolved":"%s"}' "$2" >"$GW_OUT/$1.json"; }

checkpoint() { psql_src "$DB" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(stream_name "$DB" w failback)'"; }
applied_to() { [ "$(checkpoint 2>/dev/null)" = "$1" ]; }
staged() { psql_src "$DB" "SELECT count(*) FROM _godwit.changefeed_staging"; }
audits() { psql_src "$DB" "SELECT count(*) FROM audit WHERE tbl = '$1' AND id = $2 AND op = '$3'${4:+ AND note = '$4'}"; }
src_row() { psql_src "$DB" "SELECT $2 FROM $1 WHERE id = $3"; }

# ---------------------------------------------------------------- not cut over: refused
events_before=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events")
assert_exit 2 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase w --changefeed \
    --listen "127.0.0.1:$PORT" --tls-cert "$CERT" --tls-key "$KEY" --token-file "$TOKENF"
assert_contains "$ERR" "godwit cutover --phase w"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'w'")" "status after the refused failback"
assert_eq "" "$(psql_tgt "$DB" "SELECT failback_position FROM _godwit.phases WHERE name = 'w'")" \
    "failback position after the refused failback"
assert_eq "$events_before" "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.events")" "events after the refused failback"
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" \
    "godwit state on the source after the refused failback"

# ---------------------------------------------------------------- a short token; --listen on every address
printf 'short-token\n' >"$GW_OUT/short.token"
chmod 600 "$GW_OUT/short.token"
assert_exit 2 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase w --changefeed \
    --listen "127.0.0.1:$PORT" --tls-cert "$CERT" --tls-key "$KEY" --token-file "$GW_OUT/short.token"
assert_contains "$ERR" "at least 32"
assert_short_message "$ERR"
assert_exit 2 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase w --changefeed \
    --listen "0.0.0.0:$PORT" --tls-cert "$CERT" --tls-key "$KEY" --token-file "$TOKENF" --create-changefeed
assert_contains "$ERR" "--advertise"
assert_short_message "$ERR"

# ---------------------------------------------------------------- cutover prepares, first run: statement
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase w --changefeed \
    --fence --verify full
assert_contains "$ERR" "failback prepared"
assert_contains "$ERR" "placeholder"
start_failback FB
assert_eq drained "$(psql_tgt "$DB" "SELECT note FROM orders WHERE id = 2")" "forward change drained to the target"
assert_eq failback "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases WHERE name = 'w'")" "phase status"
CURSOR=$(psql_tgt "$DB" "SELECT failback_position FROM _godwit.phases WHERE name = 'w'")
[[ $CURSOR =~ ^[0-9]{19}\.0000000000$ ]] || abort_test "cursor '$CURSOR' is not an HLC timestamp"
WALL=${CURSOR%%.*}
ts() { echo "$((WALL + $1 * 1000000)).0000000000"; }   # $1 ms after the cursor
assert_contains_re "$FB_OUT" '^CREATE CHANGEFEED FOR TABLE ("public"\."items", "public"\."orders"|"public"\."orders", "public"\."items")$'
assert_contains "$FB_OUT" "INTO 'webhook-https://127.0.0.1:$PORT/godwit/w?ca_cert=$(base64 -w0 "$CERT" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')'"
assert_contains "$FB_OUT" "WITH updated, resolved = '1s', min_checkpoint_frequency = '1s', diff, envelope = 'wrapped'"
assert_contains "$FB_OUT" "cursor = '$CURSOR'"
assert_contains "$FB_OUT" "webhook_auth_header = 'Bearer <token from --token-file>'"
assert_not_contains "$FB_OUT" "$TOKEN"
assert_not_contains "$FB_ERR" "$TOKEN"
assert_eq t "$(psql_src "$DB" "SELECT EXISTS (SELECT FROM pg_replication_origin WHERE roname = 'godwit:$(stream_name "$DB" w failback)')")" \
    "the source's apply session has its replication origin"
setup_src "$DB" "TRUNCATE audit"

# ---------------------------------------------------------------- batches and resolved timestamps
ROW101='{"id": 101, "region": "A", "amount": 12.50, "note": "new \u00fc \"q\"", "tags": ["a b", null, "c\\d"],
         "doc": {"k": [1, 2.50], "s": "x"}, "flag": true, "data": "\\x00ff41", "at": "2024-01-02T03:04:05.123456Z",
         "big": 123456789012345678901234567890.123456789}'
body b1 <<EOF
{"payload": [
 {"after": $ROW101, "before": null, "key": [101], "topic": "defaultdb.public.orders", "updated": "$(ts 10)"},
 {"after": {"id": 1, "region": "A", "amount": 1.00, "note": "updated on target", "tags": null, "doc": null,
            "flag": false, "data": null, "at": null, "big": null},
  "before": {"id": 1, "region": "A", "amount": 1.00, "note": "o1", "tags": null, "doc": null, "flag": null,
             "data": null, "at": null, "big": null},
  "key": [1], "topic": "defaultdb.public.orders", "updated": "$(ts 20)"},
 {"after": null, "before": {"id": 3, "region": "A", "amount": 3.00, "note": "o3", "tags": null, "doc": null,
            "flag": null, "data": null, "at": null, "big": null},
  "key": [3], "topic": "defaultdb.public.orders", "updated": "$(ts 20)"},
 {"after": {"id": 5, "region": "B", "amount": 5.00, "note": "moved out", "tags": null, "doc": null, "flag": null,
            "data": null, "at": null, "big": null},
  "before": {"id": 5, "region": "A", "amount": 5.00, "note": "o5", "tags": null, "doc": null, "flag": null,
             "data": null, "at": null, "big": null},
  "key": [5], "topic": "defaultdb.public.orders", "updated": "$(ts 30)"},
 {"after": {"id": 201, "region": "B", "amount": 1, "note": "another phase's", "tags": null, "doc": null,
            "flag": null, "data": null, "at": null, "big": null},
  "before": null, "key": [201], "topic": "defaultdb.public.orders", "updated": "$(ts 30)"},
 {"after": {"id": 50, "name": "item fifty"}, "before": null, "key": [50], "topic": "defaultdb.public.items",
  "updated": "$(ts 30)"},
 {"after": {"id": 99, "name": "before the cursor"}, "before": null, "key": [99], "topic": "defaultdb.public.items",
  "updated": "$((WALL - 1000000000)).0000000000"}
], "length": 7}
EOF
post 200 b1
post 200 b1
assert_eq 6 "$(staged)" "rows staged after b1 twice (a redelivery is stored once; before the cursor, not at all)"
assert_eq o1 "$(src_row orders note 1)" "nothing applied before a resolved timestamp"

# Out of order: the later change of row 101 arrives first; a change after the coming resolved timestamp too.
body b3 <<EOF
{"payload": [{"after": {"id": 101, "region": "A", "amount": 12.50, "note": "second", "tags": [], "doc": "str",
              "flag": true, "data": "\\\\x", "at": "2024-01-02T03:04:05Z", "big": -1E+2},
              "before": {"id": 101, "region": "A", "amount": 12.50, "note": "first", "tags": null, "doc": null,
              "flag": true, "data": null, "at": null, "big": null},
              "key": [101], "topic": "defaultdb.public.orders", "updated": "$(ts 60)"},
             {"after": {"id": 51, "name": "after resolved"}, "before": null, "key": [51],
              "topic": "defaultdb.public.items", "updated": "$(ts 90)"}], "length": 2}
EOF
body b2 <<EOF
{"payload": [{"after": {"id": 101, "region": "A", "amount": 12.50, "note": "first", "tags": null, "doc": null,
              "flag": true, "data": null, "at": null, "big": null},
              "before": $ROW101, "key": [101], "topic": "defaultdb.public.orders", "updated": "$(ts 50)"}],
 "length": 1}
EOF
post 200 b3
post 200 b2
resolved r1 "$(ts 70)"
post 200 r1
wait_for 20 applied_to "$(ts 70)" || fail "checkpoint did not reach the first resolved timestamp: '$(checkpoint)'"
assert_eq "second" "$(src_row orders note 101)" "the later of two out-of-order changes wins"
assert_eq 1 "$(audits orders 101 INSERT)" "row 101 inserted once"
assert_eq 1 "$(audits orders 101 UPDATE first)" "row 101's first update applied once"
assert_eq 1 "$(audits orders 101 UPDATE second)" "row 101's second update applied once"
assert_eq '12.50|{}|"str"|t|\x|2024-01-02 03:04:05+00|-100' \
    "$(src_row orders "amount, tags, doc, flag, data, at, big" 101)" "row 101's values after its updates"
assert_eq "updated on target|f" "$(src_row orders "note, flag" 1)" "row 1 updated"
assert_eq "" "$(src_row orders id 3)" "row 3 deleted"
assert_eq "" "$(src_row orders id 5)" "row 5, moved out of the phase, deleted"
assert_eq "" "$(src_row orders id 201)" "row 201, not in the phase, not inserted"
assert_eq "item fifty" "$(src_row items name 50)" "item 50 inserted"
assert_eq "" "$(src_row items name 51)" "item 51, after the resolved timestamp, not yet applied"
assert_eq "" "$(src_row items name 99)" "item 99, before the cursor, never applied"
assert_eq 1 "$(staged)" "only the change after the resolved timestamp is still staged"
# Every type's text, through a fresh row of the same values (b1's row 101).
body types <<EOF
{"payload": [{"after": $(sed 's/"id": 101/"id": 102/' <<<"$ROW101"), "before": null, "key": [102],
              "topic": "orders", "updated": "$(ts 95)"}], "length": 1}
EOF
post 200 types
# An older resolved timestamp changes nothing; the next one applies item 51 and row 102.
resolved r0 "$(ts 40)"
post 200 r0
resolved r2 "$(ts 100)"
post 200 r2
wait_for 20 applied_to "$(ts 100)" || fail "checkpoint did not reach the second resolved timestamp: '$(checkpoint)'"
assert_eq "after resolved" "$(src_row items name 51)" "item 51 applied with the next resolved timestamp"
assert_eq '12.50|new ü "q"|{"a b",NULL,"c\\d"}|{"k": [1, 2.50], "s": "x"}|t|\x00ff41|2024-01-02 03:04:05.123456+00|123456789012345678901234567890.123456789' \
    "$(src_row orders "amount, note, tags, doc, flag, data, at, big" 102)" "every type's value exact"
assert_eq 0 "$(staged)" "staging empty once everything is applied"
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM _godwit.changefeed_resolved")" "applied resolved timestamps removed"

# ---------------------------------------------------------------- refusals: nothing staged or applied
before_audit=$(psql_src "$DB" "SELECT count(*) FROM audit")
python3 -c "
import json
rows = [{'after': {'id': 7, 'name': 'x' * 1000}, 'before': None, 'key': [7], 'topic': 'public.items', 'updated': '$(ts 110)'}] * 100
print(json.dumps({'payload': rows, 'length': len(rows)}))" >"$GW_OUT/big.json"
post 413 big
post 413 big -H 'Transfer-Encoding: chunked'
body malformed <<<'{"payload": [{"after": {"id": 7}, "key": [7], "topic": "public.items", "updated": "1.0"}'
post 400 malformed
body shape <<<'{"payload": {"after": {"id": 7}}, "length": 1}'
post 400 shape
body noupdated <<<'{"payload": [{"after": {"id": 7, "name": "x"}, "key": [7], "topic": "public.items"}], "length": 1}'
post 400 noupdated
body badlength <<EOF
{"payload": [{"after": {"id": 7, "name": "x"}, "key": [7], "topic": "public.items", "updated": "$(ts 110)"}], "length": 2}
EOF
post 400 badlength
body unknown <<EOF
{"payload": [{"after": {"id": 7, "name": "x"}, "key": [7], "topic": "public.items", "updated": "$(ts 110)"},
             {"after": {"id": 7}, "key": [7], "topic": "public.nosuch", "updated": "$(ts 110)"}], "length": 2}
EOF
post 400 unknown
assert_contains "$GW_OUT/unknown.resp" "not a table of phase 'w'"
body good <<EOF
{"payload": [{"after": {"id": 7, "name": "x"}, "before": null, "key": [7], "topic": "public.items", "updated": "$(ts 110)"}], "length": 1}
EOF
post 401 good --no-auth
post 401 good --no-auth -H "Authorization: Bearer wrong-$TOKEN"
post 401 good --no-auth -H "Authorization: Basic $TOKEN"
post 405 good -X PUT
# Another phase's path (or none) is not this phase's endpoint.
URL_PHASE=$URL
URL="https://127.0.0.1:$PORT/godwit/other"
post 404 good
URL="https://127.0.0.1:$PORT/"
post 404 good
URL=$URL_PHASE
assert_contains_re "$FB_ERR" "refused a request from 127\.0\.0\.1:[0-9]+ with 404"
got=$(curl -sS --cacert "$CERT" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL")
assert_eq 405 "$got" "GET is refused"
curl -sS -o /dev/null "http://127.0.0.1:$PORT/godwit/w" 2>/dev/null && fail "plain HTTP was answered"
resolved rbad "$(ts 110)"
post 401 rbad --no-auth
assert_eq 0 "$(staged)" "nothing staged by refused requests"
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM _godwit.changefeed_resolved")" "no resolved timestamp from refused requests"
assert_eq "$before_audit" "$(psql_src "$DB" "SELECT count(*) FROM audit")" "nothing applied by refused requests"
assert_eq "$(ts 100)" "$(checkpoint)" "checkpoint unchanged by refused requests"
assert_short_message "$GW_OUT/malformed.resp" 2

# ---------------------------------------------------------------- kill -9
body k1 <<EOF
{"payload": [{"after": {"id": 1, "region": "A", "amount": 1.00, "note": "before the crash", "tags": null,
              "doc": null, "flag": false, "data": null, "at": null, "big": null},
              "before": {"id": 1, "region": "A", "amount": 1.00, "note": "updated on target", "tags": null,
              "doc": null, "flag": false, "data": null, "at": null, "big": null},
              "key": [1], "topic": "public.orders", "updated": "$(ts 120)"},
             {"after": {"id": 60, "name": "staged before the crash"}, "before": null, "key": [60],
              "topic": "public.items", "updated": "$(ts 120)"}], "length": 2}
EOF
post 200 k1
kill -9 "$FB"; wait "$FB" 2>/dev/null
note "failback killed with -9 between a staged batch and its resolved timestamp"
start_failback FB
assert_contains "$FB_ERR" "resuming from checkpoint $(ts 100)"
assert_contains "$FB_OUT" "cursor = '$(ts 100)'"
post 200 k1   # CockroachDB redelivers what was not resolved
resolved r3 "$(ts 130)"
post 200 r3
wait_for 20 applied_to "$(ts 130)" || fail "checkpoint did not reach the resolved timestamp after the restart"
assert_eq 1 "$(audits orders 1 UPDATE "before the crash")" "the staged update applied exactly once"
assert_eq 1 "$(audits items 60 INSERT)" "the staged insert applied exactly once"

# Killed right after a resolved timestamp is acknowledged: applied before the kill, or after the restart,
# once either way.
body k2 <<EOF
{"payload": [{"after": {"id": 61, "name": "around the crash"}, "before": null, "key": [61],
              "topic": "public.items", "updated": "$(ts 140)"}], "length": 1}
EOF
post 200 k2
resolved r4 "$(ts 150)"
post 200 r4
kill -9 "$FB"; wait "$FB" 2>/dev/null
note "failback killed with -9 right after a resolved timestamp; checkpoint then: $(checkpoint)"
start_failback FB
post 200 k2
post 200 r4
wait_for 20 applied_to "$(ts 150)" || fail "checkpoint did not reach the resolved timestamp after the second restart"
assert_eq 1 "$(audits items 61 INSERT)" "the insert around the crash applied exactly once"

# Lost source connections: the applier reconnects; the webhook answers 503 until its own is back, and
# the changefeed's retry is staged.
psql_src "$DB" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE application_name = '$(app_name "$DB" failback w)' AND pid <> pg_backend_pid()" >/dev/null
body c1 <<EOF
{"payload": [{"after": {"id": 63, "name": "after reconnecting"}, "before": null, "key": [63],
              "topic": "public.items", "updated": "$(ts 155)"}], "length": 1}
EOF
got=$(curl -sS --cacert "$CERT" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" --data-binary @"$GW_OUT/c1.json" "$URL")
note "first post after the source's sessions were ended: $got"
[ "$got" = 200 ] || [ "$got" = 503 ] || fail "a post while the source connection is lost: expected 200 or 503, got $got"
post 200 c1
resolved r4b "$(ts 158)"
post 200 r4b
wait_for 20 applied_to "$(ts 158)" || fail "checkpoint did not move after the source's sessions were ended"
assert_eq 1 "$(audits items 63 INSERT)" "applied once after reconnecting"
assert_contains "$FB_ERR" "reconnecting"
stop_bg "$FB"
assert_eq 0 "$RC" "failback stops cleanly on SIGTERM"
assert_contains "$FB_ERR" "stopped cleanly"

# ---------------------------------------------------------------- --stop-when-caught-up
start_failback FS --stop-when-caught-up
body s1 <<EOF
{"payload": [{"after": {"id": 62, "name": "last"}, "before": null, "key": [62], "topic": "public.items",
              "updated": "$(ts 160)"}], "length": 1}
EOF
post 200 s1
resolved r5 "$(ts 170)"
post 200 r5
wait_exit "$FS" 30
assert_eq 0 "$RC" "--stop-when-caught-up exits 0 once quiet"
assert_eq "last" "$(src_row items name 62)" "applied before stopping"
assert_eq "$(ts 170)" "$(checkpoint)" "checkpoint at the last resolved timestamp"
assert_eq 1 "$(audits items 62 INSERT)" "applied once"

# ---------------------------------------------------------------- client certificates
ossl() { openssl "$@" >>"$GW_OUT/openssl.log" 2>&1 || abort_test "openssl $1"; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
ossl req -x509 "${ec[@]}" -keyout "$GW_OUT/ca.key" -out "$GW_OUT/ca.pem" -days 2 -subj "/CN=godwit test CA"
ossl req "${ec[@]}" -keyout "$GW_OUT/client.key" -out "$GW_OUT/client.csr" -subj "/CN=cockroachdb"
ossl x509 -req -in "$GW_OUT/client.csr" -CA "$GW_OUT/ca.pem" -CAkey "$GW_OUT/ca.key" -CAcreateserial \
    -out "$GW_OUT/client.pem" -days 2
ossl req -x509 "${ec[@]}" -keyout "$GW_OUT/rogue.key" -out "$GW_OUT/rogue.pem" -days 2 -subj "/CN=cockroachdb"
# The server's certificate and key in one file: only the certificate goes into the statement.
cat "$CERT" "$KEY" >"$GW_OUT/combined.pem"
TLS_CERT=$GW_OUT/combined.pem TLS_KEY=$GW_OUT/combined.pem start_failback FC --tls-client-ca "$GW_OUT/ca.pem"
assert_contains "$FC_OUT" "client_cert=<base64 of the client certificate>&client_key=<base64 of its key>"
assert_contains "$FC_OUT" "?ca_cert=$(base64 -w0 "$CERT" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')&client_cert="
resolved r6 "$(ts 180)"
post 403 r6
post 403 r6 --cert "$GW_OUT/rogue.pem" --key "$GW_OUT/rogue.key"
post 401 r6 --no-auth --cert "$GW_OUT/client.pem" --key "$GW_OUT/client.key"
post 200 r6 --cert "$GW_OUT/client.pem" --key "$GW_OUT/client.key"
wait_for 20 applied_to "$(ts 180)" || fail "checkpoint did not reach the resolved timestamp sent with a client certificate"
stop_bg "$FC"
assert_eq 0 "$RC" "failback with client certificates stops cleanly"

# ---------------------------------------------------------------- the address in the statement
# --listen on every address names none the cluster could use: a placeholder, or what --advertise says.
PORT=$(free_port)
webhook_failback_start FA "$DB" w --listen "0.0.0.0:$PORT"
assert_contains "$FA_OUT" "INTO 'webhook-https://<the address of this machine, or --advertise HOST>:$PORT/godwit/w"
assert_contains "$FA_OUT" "fill in the <...> placeholders"
stop_bg "$FA"
PORT=$(free_port)
webhook_failback_start FA "$DB" w --listen "0.0.0.0:$PORT" --advertise godwit-failback.shop.svc:8443
assert_contains "$FA_OUT" "INTO 'webhook-https://godwit-failback.shop.svc:8443/godwit/w?ca_cert="
stop_bg "$FA"
finish
