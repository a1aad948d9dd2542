#!/usr/bin/env bash
# godwit verify, PostgreSQL -> PostgreSQL.  A source with a table of many types (int, bigint,
# numeric(12,2), real, double precision, text, varchar, bytea, bool, date, timestamp, timestamptz,
# interval, uuid, jsonb, json, an enum, int[]; NULLs, '', NaN, -0, a TOASTed text), a table with a
# composite key with a text part and names that need quoting ("Odd ""Name""", unicode columns), a
# table in a unicode schema, and a table without a primary key.  After fetch, verify exits 0 and says
# equal (text and JSON); a json value written with other whitespace is still equal (JSON by
# structure); a changed row in the table without a primary key is a difference.
# Then differences planted on the target by SQL, in distinct rows: a missing row, an extra row, one
# changed value per column type, NULL vs '' both ways, a changed key (one missing + one extra), in the
# composite key a changed number and a changed case of the text part.  verify exits 1 and its JSON
# report names exactly those keys and columns, counts exact (also with --max-report, --tables,
# --exclude, --where and --float-tolerance); the text report lists them.  --repair-sql writes SQL
# that, applied with psql to the target (with the target server's own session defaults), makes verify
# exit 0, and an md5 of the ordered rows computed on each server proves both sides equal.  Then a
# column dropped on the target: one schema difference, exit 1.  Last, bad input: unknown table,
# malformed URLs (exit 2), servers that do not answer (exit 3 source, 4 target).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_verify_pg) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE typed (
    id         integer PRIMARY KEY,
    c_int      integer,
    c_bigint   bigint,
    c_num      numeric(12,2),
    c_real     real,
    c_double   double precision,
    c_text     text,
    c_varchar  varchar(40),
    c_bytea    bytea,
    c_bool     boolean,
    c_date     date,
    c_ts       timestamp,
    c_tstz     timestamptz,
    c_interval interval,
    c_uuid     uuid,
    c_jsonb    jsonb,
    c_json     json,
    c_mood     mood,
    c_arr      integer[]
);
INSERT INTO typed
SELECT i, i * 7, i * 10000000007, i * 1.25 - 100, i / 3.0, i / 7.0, 'text ' || i, 'vc ' || i,
       decode(md5(i::text), 'hex'), i % 2 = 0, date '2024-01-01' + i,
       timestamp '2024-01-01 00:00:00.123456' + i * interval '1 hour 1.5 sec',
       timestamptz '2024-01-01 00:00:00.654321+00' + i * interval '1 day 1 microsecond',
       make_interval(days => i, secs => i * 1.5),
       md5('u' || i)::uuid,
       jsonb_build_object('i', i, 'a', jsonb_build_array(i, 'x', NULL), 'f', i / 4.0),
       json_build_object('i', i, 's', 'v' || i),
       (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood,
       ARRAY[i, i + 1, NULL, i * 2]
FROM generate_series(1, 300) i;
UPDATE typed SET c_text = NULL WHERE id = 40;
UPDATE typed SET c_text = '' WHERE id = 41;
UPDATE typed SET c_text = repeat('long text ', 1000) || 'end' WHERE id = 290;
UPDATE typed SET c_real = 'NaN', c_double = '-Infinity' WHERE id = 297;
UPDATE typed SET c_real = '-0', c_double = '-0' WHERE id = 298;
UPDATE typed SET c_int = NULL, c_bigint = NULL, c_num = NULL, c_real = NULL, c_double = NULL, c_text = NULL,
    c_varchar = NULL, c_bytea = NULL, c_bool = NULL, c_date = NULL, c_ts = NULL, c_tstz = NULL, c_interval = NULL,
    c_uuid = NULL, c_jsonb = NULL, c_json = NULL, c_mood = NULL, c_arr = NULL WHERE id = 300;
CREATE TABLE "Odd ""Name""" ("région" text, "Nº" integer, "vàl ue" text, amount numeric(12,2), PRIMARY KEY ("région", "Nº"));
INSERT INTO "Odd ""Name"""
SELECT r, n, r || '/' || n, n * 1.5 FROM unnest(ARRAY['eu', 'us', 'Zürich', 'a b']) r, generate_series(1, 25) n;
CREATE SCHEMA "ünï";
CREATE TABLE "ünï"."Tâble" (k bigint PRIMARY KEY, v text, w date);
INSERT INTO "ünï"."Tâble" SELECT i, 'ü' || i, date '2000-01-01' + i FROM generate_series(1, 100) i;
CREATE TABLE nokey (a integer, b text);
INSERT INTO nokey SELECT i % 40, 'b' || i FROM generate_series(1, 50) i;
SQL

TABLES=(public.typed 'public."Odd ""Name"""' '"ünï"."Tâble"' public.nokey)
ORDER=(id '"région", "Nº"' k "a, b")
assert_all_equal() {
    local i
    for i in "${!TABLES[@]}"; do assert_tables_equal "$DB" "$DB" "${TABLES[$i]}" "${ORDER[$i]}"; done
}

# has FILE ERE: FILE has a line matching ERE, case-sensitive (assert_contains_re ignores case, and
# 'eu' vs 'EU' is the point here).
has() {
    if ! grep -qaE -- "$2" "$1"; then
        fail "$(basename "$1") has no line matching /$2/ -- it has: $(_gw_first_lines "$1")"
        return 1
    fi
}

# gw_verify CODE ARGS...: godwit verify between the source and target databases, asserting the exit code.
gw_verify() {
    local code=$1; shift
    assert_exit "$code" "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" "$@"
}




gw_fetch 0 "$DB" "$DB" --jobs 2 --no-stream || abort_test "fetch failed"
assert_all_equal

# ---- equal after fetch: text and JSON
gw_verify 0
for t in typed 'Odd' 'Tâble' nokey; do assert_contains "$OUT" "$t"; done
for t in typed Odd Tâble nokey; do
    line=$(grep -a -F "$t" "$OUT" | grep -a -v '^verify:' | head -n 1)
    [[ $line == *equal* ]] || fail "text report line of $t does not say equal: '$line'"
done
has "$OUT" '^public\.typed: 300 rows compared: equal$'
assert_contains_re "$OUT" '^verify: 4 tables, 550 rows compared'
grep -a '^verify:' "$OUT" | grep -qE '[1-9][0-9]* (missing|extra|mismatched|schema)' &&
    fail "summary line reports differences: $(grep -a '^verify:' "$OUT")"
assert_not_contains "$OUT" "missing on target"
assert_not_contains "$OUT" "mismatched ("

EQUAL=$(spec equal <<'JSON'
{"equal": true, "tables": {
  "public.typed": {"rows": 300}, "public.Odd \"Name\"": {"rows": 100}, "ünï.Tâble": {"rows": 100}, "public.nokey": {"rows": 50}}}
JSON
)
gw_verify 0 --format json --jobs 2
check_report "verify --format json after fetch" "$OUT" "$EQUAL"

# ---- JSON compares by structure: the same json value written with other whitespace is equal
setup_tgt "$DB" "UPDATE typed SET c_json = '{\"i\":5,   \"s\":\"v5\"}' WHERE id = 5"
assert_ne "$(psql_src "$DB" "SELECT c_json::text FROM typed WHERE id = 5")" "$(psql_tgt "$DB" "SELECT c_json::text FROM typed WHERE id = 5")" \
    "json text of row 5 after rewriting it on the target"
GW_CONTEXT="json with other whitespace"
gw_verify 0 --format json
check_report "verify with a json value of the same structure" "$OUT" "$EQUAL"
GW_CONTEXT=""
setup_tgt "$DB" "UPDATE typed SET c_json = json_build_object('i', id, 's', 'v' || id) WHERE id = 5"
assert_all_equal

# ---- a table without a primary key: a changed row is a difference (exit 1; how it is named is not
# part of the contract), and only that table differs
setup_tgt "$DB" "UPDATE nokey SET b = 'changed' WHERE b = 'b7'"
GW_CONTEXT="a changed row in the table without a primary key"
gw_verify 1 --format json
python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [o["table"] for o in objs if "table" in o and o["table"] != "public.nokey" and
       (o.get("missing") or o.get("extra") or o.get("mismatched") or o.get("schema"))]
nk = [o for o in objs if o.get("table") == "public.nokey"]
s = objs[-1].get("summary", {}) if objs else {}
errs = []
if bad: errs.append("tables other than public.nokey report differences: %s" % bad)
if not nk: errs.append("no line for public.nokey")
if s.get("equal") is not False: errs.append("summary equal is %r" % s.get("equal"))
sys.exit("; ".join(errs) if errs else 0)' "$OUT" 2>"$GW_OUT/nokey.err" || fail "$(cat "$GW_OUT/nokey.err")"
GW_CONTEXT=""
setup_tgt "$DB" "UPDATE nokey SET b = 'b7' WHERE b = 'changed'"
assert_tables_equal "$DB" "$DB" public.nokey "a, b"

# ---- differences planted on the target, in distinct rows
setup_tgt "$DB" - <<'SQL'
DELETE FROM typed WHERE id = 3;
INSERT INTO typed (id, c_text) VALUES (1001, 'extra');
UPDATE typed SET id = 2000 WHERE id = 50;
UPDATE typed SET c_int = c_int + 1 WHERE id = 11;
UPDATE typed SET c_bigint = c_bigint + 1 WHERE id = 12;
UPDATE typed SET c_num = c_num + 0.01 WHERE id = 13;
UPDATE typed SET c_real = c_real * 1.000001 WHERE id = 14;
UPDATE typed SET c_double = c_double + 1e-12 WHERE id = 15;
UPDATE typed SET c_text = upper(c_text) WHERE id = 16;
UPDATE typed SET c_varchar = c_varchar || ' ' WHERE id = 17;
UPDATE typed SET c_bytea = c_bytea || '\x00'::bytea WHERE id = 18;
UPDATE typed SET c_bool = NOT c_bool WHERE id = 19;
UPDATE typed SET c_date = c_date + 1 WHERE id = 20;
UPDATE typed SET c_ts = c_ts + interval '1 microsecond' WHERE id = 21;
UPDATE typed SET c_tstz = c_tstz + interval '1 microsecond' WHERE id = 22;
UPDATE typed SET c_interval = c_interval + interval '1 second' WHERE id = 23;
UPDATE typed SET c_uuid = md5('other')::uuid WHERE id = 24;
UPDATE typed SET c_jsonb = jsonb_set(c_jsonb, '{a,1}', '"y"') WHERE id = 25;
UPDATE typed SET c_json = json_build_object('i', 26, 's', 'v26 changed') WHERE id = 26;
UPDATE typed SET c_mood = 'happy' WHERE id = 27;
UPDATE typed SET c_arr = array_append(c_arr, 0) WHERE id = 28;
UPDATE typed SET c_text = '' WHERE id = 40;
UPDATE typed SET c_text = NULL WHERE id = 41;
UPDATE typed SET c_text = left(c_text, -3) || 'END' WHERE id = 290;
DELETE FROM "Odd ""Name""" WHERE "région" = 'Zürich' AND "Nº" = 3;
UPDATE "Odd ""Name""" SET "vàl ue" = 'changed' WHERE "région" = 'a b' AND "Nº" = 7;
UPDATE "Odd ""Name""" SET "Nº" = 99 WHERE "région" = 'eu' AND "Nº" = 5;
UPDATE "Odd ""Name""" SET "région" = 'EU' WHERE "région" = 'eu' AND "Nº" = 6;
SQL
# The planted values really differ (independently of godwit): per column, the rows whose value is
# distinct on the two sides.  Sources 14/15: float changes small enough to be rounding-sized.
for c in c_real c_double c_ts c_tstz; do
    s=$(psql_src "$DB" "SELECT string_agg(id || '=' || $c::text, ',' ORDER BY id) FROM typed WHERE id BETWEEN 11 AND 28")
    t=$(psql_tgt "$DB" "SELECT string_agg(id || '=' || $c::text, ',' ORDER BY id) FROM typed WHERE id BETWEEN 11 AND 28")
    assert_ne "$s" "$t" "values of $c in rows 11-28 on both sides after planting"
done

ALL=$(spec planted <<'JSON'
{"equal": false, "max_report": 1000, "tables": {
  "public.typed": {"rows": [300, 302],
    "missing": [{"id": "3"}, {"id": "50"}],
    "extra": [{"id": "1001"}, {"id": "2000"}],
    "mismatched": [[{"id": "11"}, ["c_int"]], [{"id": "12"}, ["c_bigint"]], [{"id": "13"}, ["c_num"]],
                   [{"id": "14"}, ["c_real"]], [{"id": "15"}, ["c_double"]], [{"id": "16"}, ["c_text"]],
                   [{"id": "17"}, ["c_varchar"]], [{"id": "18"}, ["c_bytea"]], [{"id": "19"}, ["c_bool"]],
                   [{"id": "20"}, ["c_date"]], [{"id": "21"}, ["c_ts"]], [{"id": "22"}, ["c_tstz"]],
                   [{"id": "23"}, ["c_interval"]], [{"id": "24"}, ["c_uuid"]], [{"id": "25"}, ["c_jsonb"]],
                   [{"id": "26"}, ["c_json"]], [{"id": "27"}, ["c_mood"]], [{"id": "28"}, ["c_arr"]],
                   [{"id": "40"}, ["c_text"]], [{"id": "41"}, ["c_text"]], [{"id": "290"}, ["c_text"]]],
    "values": [[{"id": "11"}, "c_int", "77", "78"], [{"id": "12"}, "c_bigint", "120000000084", "120000000085"],
               [{"id": "13"}, "c_num", "-83.75", "-83.74"], [{"id": "16"}, "c_text", "text 16", "TEXT 16"],
               [{"id": "17"}, "c_varchar", "vc 17", "vc 17 "], [{"id": "19"}, "c_bool", "f", "t"],
               [{"id": "20"}, "c_date", "2024-01-21", "2024-01-22"], [{"id": "27"}, "c_mood", "sad", "happy"],
               [{"id": "28"}, "c_arr", "{28,29,NULL,56}", "{28,29,NULL,56,0}"],
               [{"id": "40"}, "c_text", null, ""], [{"id": "41"}, "c_text", "", null]]},
  "public.Odd \"Name\"": {"rows": [99, 102],
    "missing": [{"région": "Zürich", "Nº": "3"}, {"région": "eu", "Nº": "5"}, {"région": "eu", "Nº": "6"}],
    "extra": [{"région": "eu", "Nº": "99"}, {"région": "EU", "Nº": "6"}],
    "mismatched": [[{"région": "a b", "Nº": "7"}, ["vàl ue"]]],
    "values": [[{"région": "a b", "Nº": "7"}, "vàl ue", "a b/7", "changed"]]},
  "ünï.Tâble": {"rows": 100},
  "public.nokey": {"rows": 50}}}
JSON
)
GW_CONTEXT="planted differences"
gw_verify 1 --format json --max-report 1000 --jobs 2
check_report "verify --format json with planted differences" "$OUT" "$ALL"

# The text report: per-table counts, the listed rows, the summary.
gw_verify 1 --max-report 1000
TEXT=$OUT
has "$TEXT" '^public\.typed: [0-9]+ rows compared: 2 missing, 2 extra, 21 mismatched$'
has "$TEXT" '^ +missing on target \(id\)=\(3\)$'
has "$TEXT" '^ +missing on target \(id\)=\(50\)$'
has "$TEXT" '^ +extra on target \(id\)=\(1001\)$'
has "$TEXT" '^ +extra on target \(id\)=\(2000\)$'
has "$TEXT" 'mismatched \(id\)=\(11\): column "c_int": source 77, target 78$'
has "$TEXT" 'mismatched \(id\)=\(13\): column "c_num": source -83\.75, target -83\.74$'
has "$TEXT" 'mismatched \(id\)=\(40\): column "c_text": source NULL, target'
has "$TEXT" 'mismatched \(id\)=\(41\): column "c_text": source .*, target NULL$'
has "$TEXT" '^ +missing on target \(.*\)=\(Zürich, 3\)$'
has "$TEXT" 'extra on target \(.*\)=\(EU, 6\)$'
has "$TEXT" 'column "vàl ue": source a b/7, target changed$'
has "$TEXT" '^verify: 4 tables, [0-9]+ rows compared: 5 missing, 4 extra, 22 mismatched'
long=$(grep -a -F '(id)=(290)' "$TEXT" | head -n 1)
if [ -z "$long" ]; then
    fail "text report has no line for the mismatched long text of row 290"
else
    [ "${#long}" -lt 400 ] || fail "the line for row 290 (10 kB text values) is not shortened: ${#long} characters"
    [[ $long == *...* ]] || fail "the line for row 290 does not mark its shortened values with '...': ${long:0:300}"
fi
for t in Tâble nokey; do
    line=$(grep -a -F "$t" "$TEXT" | grep -a -v '^verify:' | grep -a -v '^ ' | head -n 1)
    [[ $line == *equal* ]] || fail "text report line of $t does not say equal: '$line'"
done
GW_CONTEXT=""

# --max-report: at most N rows listed per table, all counted.
MAX3=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s["max_report"]=3; print(json.dumps(s))' "$ALL" >"$GW_OUT/max3.json"; echo "$GW_OUT/max3.json")
gw_verify 1 --format json --max-report 3
check_report "verify --max-report 3" "$OUT" "$MAX3"
# The default is 20.
DEF=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); del s["max_report"]; print(json.dumps(s))' "$ALL" >"$GW_OUT/max20.json"; echo "$GW_OUT/max20.json")
gw_verify 1 --format json
check_report "verify with the default --max-report (20)" "$OUT" "$DEF"

# --tables restricts the report; --float-tolerance makes the two rounding-sized float changes equal.
TOL=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
t = s["tables"]["public.typed"]
t["mismatched"] = [m for m in t["mismatched"] if m[0]["id"] not in ("14", "15")]
s["tables"] = {"public.typed": t}
print(json.dumps(s))' "$ALL" >"$GW_OUT/tol.json"; echo "$GW_OUT/tol.json")
gw_verify 1 --format json --max-report 1000 --tables public.typed --float-tolerance 0.001
check_report "verify --tables public.typed --float-tolerance 0.001" "$OUT" "$TOL"

# --exclude leaves tables out (those left are equal: exit 0); --where compares only matching rows on
# both sides (extra rows on the target too).
EXCL=$(spec excl <<'JSON'
{"equal": true, "tables": {"ünï.Tâble": {"rows": 100}, "public.nokey": {"rows": 50}}}
JSON
)
gw_verify 0 --format json --exclude 'public.typed,public.Odd*'
check_report "verify --exclude public.typed,public.Odd*" "$OUT" "$EXCL"
WHERE=$(spec where <<'JSON'
{"equal": false, "max_report": 1000, "tables": {"public.typed": {"rows": [201, 203],
  "extra": [{"id": "1001"}, {"id": "2000"}], "mismatched": [[{"id": "290"}, ["c_text"]]]}}}
JSON
)
gw_verify 1 --format json --max-report 1000 --tables public.typed --where 'public.typed: id >= 100'
check_report "verify --where 'public.typed: id >= 100'" "$OUT" "$WHERE"

# ---- --repair-sql: applied to the target, it makes both sides equal
gw_verify 1 --format json --max-report 3 --repair-sql "$GW_OUT/repair.sql"
check_report "verify --repair-sql (report)" "$OUT" "$MAX3"
apply_repair "$GW_OUT/repair.sql" "$DB"
GW_CONTEXT="after applying the repair SQL"
gw_verify 0 --format json
check_report "verify after the repair" "$OUT" "$EQUAL"
assert_all_equal
GW_CONTEXT=""

# ---- a schema difference: a column dropped on the target
setup_tgt "$DB" 'ALTER TABLE "ünï"."Tâble" DROP COLUMN w'
SCHEMA=$(spec schema <<'JSON'
{"equal": false, "tables": {
  "public.typed": {"rows": 300}, "public.Odd \"Name\"": {"rows": 100}, "public.nokey": {"rows": 50},
  "ünï.Tâble": {"rows": 100, "schema": [["column_missing", "w", "target"]]}}}
JSON
)
GW_CONTEXT="column dropped on the target"
gw_verify 1 --format json
check_report "verify with a column missing on the target" "$OUT" "$SCHEMA"
gw_verify 1
assert_contains_re "$OUT" '^schema .*Tâble.*: column "w" missing on target$'
assert_contains_re "$OUT" '^verify: 4 tables, .*1 schema difference'
GW_CONTEXT=""

# ---- other schema differences: a type the target cannot hold the source's values in, nullability, a key
# that differs (rows not compared; its new key column v became NOT NULL too); a widened numeric is no difference (its values compare by value)
setup_tgt "$DB" - <<'SQL'
ALTER TABLE nokey ALTER a TYPE smallint, ALTER a SET NOT NULL;
ALTER TABLE "ünï"."Tâble" ALTER v TYPE varchar(40), DROP CONSTRAINT "Tâble_pkey", ADD PRIMARY KEY (k, v);
ALTER TABLE "Odd ""Name""" ALTER amount TYPE numeric(20,4);
SQL
SCHEMA2=$(spec schema2 <<'JSON'
{"equal": false, "tables": {
  "public.typed": {"rows": 300}, "public.Odd \"Name\"": {"rows": 100},
  "public.nokey": {"rows": 50, "schema": [["type", "a", ""], ["nullability", "a", ""]]},
  "ünï.Tâble": {"rows": 0, "schema": [["column_missing", "w", "target"], ["type", "v", ""], ["nullability", "v", ""], ["primary_key", "", ""]]}}}
JSON
)
GW_CONTEXT="types, nullability and key changed on the target"
gw_verify 1 --format json
check_report "verify with types, nullability and a key that differ" "$OUT" "$SCHEMA2"
GW_CONTEXT=""

# ---- bad input
gw_verify 2 --tables public.no_such_table
assert_contains "$ERR" "no_such_table"
assert_short_message "$ERR"
for bad in "not a url" "postgres://127.0.0.1:notaport/db" "postgres://[::1/db"; do
    assert_exit 2 "$GODWIT" verify --source "$bad" --target "$(tgt_url "$DB")"
    assert_contains_re "$ERR" "url|source"
    assert_short_message "$ERR"
    assert_exit 2 "$GODWIT" verify --source "$(src_url "$DB")" --target "$bad"
    assert_contains_re "$ERR" "url|target"
    assert_short_message "$ERR"
done
gw_verify 2 --format xml
assert_contains "$ERR" "format"
NOPORT=$(free_port)
assert_exit 3 "$GODWIT" verify --source "postgres://postgres@127.0.0.1:$NOPORT/$DB" --target "$(tgt_url "$DB")"
assert_contains "$ERR" "source"
assert_exit 4 "$GODWIT" verify --source "$(src_url "$DB")" --target "postgres://postgres@127.0.0.1:$NOPORT/$DB"
assert_contains "$ERR" "target"

finish
