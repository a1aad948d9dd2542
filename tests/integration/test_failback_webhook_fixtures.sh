#!/usr/bin/env bash
# Failback through the changefeed webhook with bodies built from CockroachDB's own data
# (tests/unit/fixtures/changefeed/ORIGIN.md), PostgreSQL standing in for the CockroachDB target (it holds
# the phase's state; no changefeed runs here):
# - crdb-to-json-types.json: a column of every type godwit maps, each value as CockroachDB's to_json
#   writes it in its own logic tests, under a quoted full_table_name topic, with mvcc_timestamp, then an
#   update with its before image: on the source each value equals PostgreSQL's reading of the SQL literal
#   CockroachDB's test started from, and the update applied once;
# - MOLT Replicator's webhook test bodies (inserts, one with its before image, under a bare topic) and the
#   movr row of CockroachDB's webhook sink documentation (a composite key): applied as sent;
# - the same changefeed's rows without "updated" (crdb-mvcc-timestamp.json) are refused, nothing staged;
# - a batch just under --max-body is taken whole and applied; one byte more is refused (413).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_fb_fixtures) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" - <<'SQL'
CREATE TYPE public.e AS ENUM ('e', 'f');
CREATE TABLE public."Typed é" (id int PRIMARY KEY, i bigint, t text, u uuid, b bytea, bo boolean, j jsonb,
    f float8, d numeric, ip inet, ts timestamp, tz timestamptz, dt date, tm time, iv interval, sa text[],
    da numeric[], vb varbit, e public.e, fi float8);
-- Counts every row change godwit applies (it applies as a replica: only ALWAYS triggers fire).
CREATE TABLE public.audit (id int, op text);
CREATE FUNCTION public.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_typed AFTER INSERT OR UPDATE OR DELETE ON public."Typed é" FOR EACH ROW EXECUTE FUNCTION public.audit_row();
ALTER TABLE public."Typed é" ENABLE ALWAYS TRIGGER audit_typed;
CREATE TABLE public.my_table (pk int PRIMARY KEY, v int);
INSERT INTO public.my_table VALUES (99, 21);
CREATE TABLE public.vehicles (id uuid, city text, type text, creation_time timestamp, status text,
    current_location text, ext jsonb, dog_owner_id uuid, PRIMARY KEY (city, id));
SQL
gw_fetch 0 "$DB" "$DB" --phase w --tables 'public.Typed é,public.my_table,public.vehicles' || abort_test "fetch"
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase w --changefeed \
    --fence --verify none || abort_test "cutover"
webhook_init w
MAX_BODY=32768
webhook_failback_start FB "$DB" w --max-body "$MAX_BODY"
CURSOR=$(psql_tgt "$DB" "SELECT failback_position FROM _godwit.phases WHERE name = 'w'")
WALL=${CURSOR%%.*}
ts() { echo "$((WALL + $1 * 1000000)).000000000$2"; }   # $1 ms after the cursor, logical $2
FIXTURES=$GW_ROOT/tests/unit/fixtures/changefeed
checkpoint() { psql_src "$DB" "SELECT position FROM _godwit.checkpoints WHERE stream = '$(stream_name "$DB" w failback)'"; }
applied_to() { [ "$(checkpoint 2>/dev/null)" = "$1" ]; }
staged() { psql_src "$DB" "SELECT count(*) FROM _godwit.changefeed_staging"; }
resolved() { printf '{"resolved":"%s"}' "$2" >"$GW_OUT/$1.json"; }

# shifted FIXTURE NAME MS: the fixture's rows with each timestamp moved to MS ms after the cursor (logical
# parts kept), as $GW_OUT/NAME.json: nothing else changes.
shifted() {
    python3 - "$FIXTURES/$1" "$((WALL + $3 * 1000000))" >"$GW_OUT/$2.json" <<'PY' || abort_test "fixture $1"
import json, sys
body = json.load(open(sys.argv[1], encoding="utf-8"))
for row in body["payload"]:
    logical = row["updated"].split(".")[1] if "." in row["updated"] else "0"
    row["updated"] = "%s.%s" % (sys.argv[2], logical)
    if "mvcc_timestamp" in row:
        row["mvcc_timestamp"] = row["updated"]
print(json.dumps(body, ensure_ascii=False))
PY
}

# ---------------------------------------------------------------- every type, as CockroachDB writes it
shifted crdb-to-json-types.json types 10
assert_contains "$GW_OUT/types.json" '"topic": "defaultdb.public.\"Typed é\""'
webhook_post 200 types
assert_eq 3 "$(staged)" "rows of the types fixture staged"
resolved r1 "$(ts 20 0)"
webhook_post 200 r1
wait_for 20 applied_to "$(ts 20 0)" || fail "checkpoint did not reach the resolved timestamp: '$(checkpoint)'"
# Each value against PostgreSQL's reading of the literal CockroachDB's test converted (json_builtins).
assert_eq "t|t|t|t|t|t|t|t|t|t|t|t|t|t|t|t|t|t|t" "$(psql_src "$DB" "SELECT i = 124, t = E'\\\\a',
    u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', b = '\\x0001'::bytea, bo, j = '\"a\"'::jsonb, f = 1.234::float8,
    d = 1.234, ip = '10.1.0.0/16'::inet, ts = '2014-05-28 12:22:35.614298'::timestamp,
    tz = '2014-05-28 12:22:35.614298-04'::timestamptz, dt = '2014-05-28'::date, tm = '00:00:00'::time,
    iv = interval '2 hours 45 minutes 2.234 seconds', sa = ARRAY['a', 'b', 'c'], da = ARRAY[1.0, 2.0, 3.0],
    vb = B'0100110', e = 'e', fi = 'Infinity'::float8 FROM public.\"Typed é\" WHERE id = 1")" \
    "row 1: every value as CockroachDB's test started from it (after the update of i)"
assert_eq "f|t|NaN" "$(psql_src "$DB" "SELECT bo, i IS NULL AND t IS NULL AND u IS NULL AND b IS NULL AND j IS NULL
    AND f IS NULL AND d IS NULL AND ip IS NULL AND ts IS NULL AND tz IS NULL AND dt IS NULL AND tm IS NULL
    AND iv IS NULL AND sa IS NULL AND da IS NULL AND vb IS NULL AND e IS NULL, fi FROM public.\"Typed é\" WHERE id = 2")" \
    "row 2: SQL NULLs and NaN"
assert_eq "1|INSERT 1|UPDATE 2|INSERT" "$(psql_src "$DB" "SELECT string_agg(id || '|' || op, ' ' ORDER BY id, op) FROM public.audit")" \
    "each change applied once"

# ---------------------------------------------------------------- MOLT Replicator's bodies, CockroachDB's documented one
shifted molt-insert.json molt 22
shifted docs-vehicles.json vehicles 24
webhook_post 200 molt
webhook_post 200 vehicles
resolved r1b "$(ts 25 0)"
webhook_post 200 r1b
wait_for 20 applied_to "$(ts 25 0)" || fail "checkpoint did not reach the resolved timestamp of the MOLT bodies"
assert_eq "42|99 99|42" "$(psql_src "$DB" "SELECT string_agg(pk || '|' || v, ' ' ORDER BY pk) FROM public.my_table")" \
    "MOLT's insert, and its update from the before image"
assert_eq 't|t|t' "$(psql_src "$DB" "SELECT ext = '{\"brand\": \"Schwinn\", \"color\": \"red\"}'::jsonb,
    creation_time = '2019-01-02 03:04:05'::timestamp, dog_owner_id = '5d0c85b5-8866-47cf-a6bc-d032f198e48f'
    FROM public.vehicles WHERE city = 'rome' AND id = 'd7b18299-c0c4-4304-9ef7-05ae46fd5ee1'")" \
    "the documented vehicles row, by its composite key"

# ---------------------------------------------------------------- a changefeed without "updated"
cp "$FIXTURES/crdb-mvcc-timestamp.json" "$GW_OUT/mvcc.json"
webhook_post 400 mvcc
assert_contains "$GW_OUT/mvcc.resp" "updated"
assert_eq 0 "$(staged)" "nothing staged from a refused body"

# ---------------------------------------------------------------- batches at the size cap
# Rows of the fixture's shape until one more would pass the cap: taken whole; with one byte more, refused.
python3 - "$MAX_BODY" "$(ts 30 0)" "$GW_OUT/cap.json" "$GW_OUT/over.json" <<'PY' || abort_test "cap bodies"
import json, sys
cap, updated = int(sys.argv[1]), sys.argv[2]
def row(i, pad):
    return {"after": {"id": i, "i": i, "t": "x" * pad, "u": None, "b": "\\x00ff", "bo": True, "j": {"k": [i]},
                      "f": 0.5, "d": 12.50, "ip": None, "ts": None, "tz": "2026-01-02T03:04:05Z", "dt": None,
                      "tm": None, "iv": None, "sa": ["q"], "da": None, "vb": None, "e": "f", "fi": None},
            "before": None, "key": [i], "topic": "public.\"Typed é\"", "updated": updated}
def body(rows):
    return json.dumps({"payload": rows, "length": len(rows)}, ensure_ascii=False).encode()
rows = []
while len(body(rows + [row(100 + len(rows), 100)])) <= cap:
    rows.append(row(100 + len(rows), 100))
# The last row's text fills the body to exactly the cap.
rows[-1]["after"]["t"] += "y" * (cap - len(body(rows)))
assert len(body(rows)) == cap
open(sys.argv[3], "wb").write(body(rows))
rows[-1]["after"]["t"] += "z"
open(sys.argv[4], "wb").write(body(rows))
PY
ncap=$(python3 -c "import json; print(len(json.load(open('$GW_OUT/cap.json'))['payload']))")
assert_eq "$MAX_BODY" "$(stat -c %s "$GW_OUT/cap.json")" "the batch at the cap is exactly --max-body bytes"
webhook_post 413 over
assert_eq 0 "$(staged)" "nothing staged from a body one byte over the cap"
webhook_post 200 cap
assert_eq "$ncap" "$(staged)" "every row of the batch at the cap staged"
resolved r2 "$(ts 40 0)"
webhook_post 200 r2
wait_for 20 applied_to "$(ts 40 0)" || fail "checkpoint did not reach the resolved timestamp after the cap batch"
assert_eq "$ncap" "$(psql_src "$DB" "SELECT count(*) FROM public.\"Typed é\" WHERE id >= 100 AND bo AND e = 'f'
    AND j = jsonb_build_object('k', jsonb_build_array(id)) AND b = '\\x00ff'::bytea AND sa = '{q}'")" \
    "every row of the batch at the cap applied with its values"
stop_bg "$FB"
assert_eq 0 "$RC" "failback stops cleanly"
finish
