#!/usr/bin/env bash
# godwit verify --sample N, PostgreSQL -> PostgreSQL, and verify results recorded in the target's
# _godwit.events.  A source with a table of 200,000 rows (even ids), a table with a composite key with a
# text part (20,000 rows), a small table (100 rows) and a table without a primary key; fetched to the
# target (which then holds godwit state for phase "default").
# Sampling is random, so every planted difference is dense enough that any window must meet it: each
# window is ~63 consecutive keys, so a change in every 10th row is always sampled.  Checked:
# - equal tables: exit 0; each keyed table says "(sample)" with a bounded number of rows compared
#   (the small table all of its 100 rows), the keyless one "not sampled: no key", also in JSON
#   ("mode": "sample", per table and in the summary; "not_sampled": "no key"); a changed row in the
#   keyless table is not seen (it is not sampled);
# - every 10th row changed (both keyed tables), every 10th row deleted, extra rows between the source's
#   keys: exit 1, and every reported difference is one of the planted ones, of the right kind and column
#   (no false "missing" or "extra" at the windows' edges), in numbers that match the rows compared;
# - --where with --sample: only rows of the filter are compared, on both sides (the extra rows are
#   outside it: exit 0);
# - every run appends one _godwit.events row of kind "verify" with detail {"mode", "tables",
#   "tables_different", "rows_compared", "equal", "seconds"} (checked with psql after a sampled run that
#   differs and a full one that is equal);
# - against a target without godwit state, verify (sampled and full) works and creates no _godwit schema;
# - --sample with a bad number is exit 2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_verify_sample) || abort_test "createdb"
BARE=$(new_dbs gw_verify_sample_bare) || abort_test "createdb"
register_dbs "$DB" "$BARE"

setup_src "$DB" - <<'SQL'
CREATE TABLE big (id bigint PRIMARY KEY, grp integer NOT NULL, v text);
INSERT INTO big SELECT 2 * i, i % 97, 'value ' || i FROM generate_series(1, 200000) i;
CREATE TABLE pair (region text, n integer, v text, PRIMARY KEY (region, n));
INSERT INTO pair SELECT 'r' || lpad(r::text, 2, '0'), n, r || '/' || n FROM generate_series(1, 20) r, generate_series(1, 1000) n;
CREATE TABLE small (id integer PRIMARY KEY, v text);
INSERT INTO small SELECT i, 's' || i FROM generate_series(1, 100) i;
CREATE TABLE nokey (a integer, b text);
INSERT INTO nokey SELECT i % 50, 'b' || i FROM generate_series(1, 1000) i;
ANALYZE;
SQL

gw_fetch 0 "$DB" "$DB" --jobs 2 --no-stream || abort_test "fetch failed"
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.phases WHERE name = 'default'")" "phase rows on the target after fetch"

# gw_verify CODE ARGS...: godwit verify between the source and target databases, asserting the exit code.
gw_verify() {
    local code=$1; shift
    assert_exit "$code" "$GODWIT" verify --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" "$@"
}
verify_events() { psql_tgt "$DB" "SELECT count(*) FROM _godwit.events WHERE kind = 'verify'"; }

# check_sample FILE EXPECT: a --format json report of a sampled verify.  EXPECT (JSON): per table the
# kinds of difference allowed, each with a Python predicate on the key that every reported one must
# satisfy and the column of a mismatch; "min" kinds that must be found.  Also: "mode" is "sample"
# everywhere, rows compared per table within bounds, the small table fully compared, the keyless one
# not sampled, the summary adds up.
check_sample() {
    python3 - "$1" "$2" <<'PY' 2>"$GW_OUT/check_sample.err" || fail "$(cat "$GW_OUT/check_sample.err")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
exp = json.loads(sys.argv[2])
errs = []
tables = {o["table"]: o for o in objs if "table" in o}
summ = objs[-1].get("summary") if objs else None
if summ is None:
    sys.exit("no summary line")
if summ.get("mode") != "sample": errs.append("summary mode %r" % summ.get("mode"))
if summ.get("sample_rows") != 1000: errs.append("summary sample_rows %r" % summ.get("sample_rows"))
if summ.get("tables_not_sampled") != 1: errs.append("summary tables_not_sampled %r" % summ.get("tables_not_sampled"))
want = {"public.big", "public.pair", "public.small", "public.nokey"}
if set(tables) != want: errs.append("tables %s, expected %s" % (sorted(tables), sorted(want)))
total = 0
for name, o in tables.items():
    total += o.get("rows_compared", 0)
    if o.get("mode") != "sample": errs.append("%s: mode %r" % (name, o.get("mode")))
    rc = o.get("rows_compared")
    if name == "public.nokey":
        if o.get("not_sampled") != "no key": errs.append("nokey: not_sampled %r" % o.get("not_sampled"))
        if rc != 0: errs.append("nokey: rows_compared %r" % rc)
        continue
    if "not_sampled" in o: errs.append("%s: not_sampled %r" % (name, o["not_sampled"]))
    if name == "public.small":
        if rc != 100: errs.append("small: rows_compared %r, expected all 100" % rc)
    elif not (500 <= rc <= 1250):
        errs.append("%s: rows_compared %r, expected about 1000 (500..1250, extra rows included)" % (name, rc))
    e = exp.get(name, {})
    for kind in ("missing", "extra", "mismatched"):
        n = o.get(kind)
        rule = e.get(kind)
        if rule is None:
            if n: errs.append("%s: %d %s, expected none" % (name, n, kind))
            continue
        lo, hi = rule.get("ratio", [0, 1])
        if not (lo * rc - 20 <= n <= hi * rc + 20):
            errs.append("%s: %d %s of %d rows compared, expected %s of them" % (name, n, kind, rc, rule.get("ratio")))
        if n < rule.get("min", 1):
            errs.append("%s: %d %s, expected at least %d" % (name, n, kind, rule.get("min", 1)))
    for d in o.get("differences", []):
        rule = e.get(d["kind"])
        k = d["key"]
        if rule is None or not eval(rule["key"], {}, dict(k=k)):
            errs.append("%s: unexpected %s %s" % (name, d["kind"], k))
        elif d["kind"] == "mismatched" and [c["name"] for c in d.get("columns", [])] != [rule["column"]]:
            errs.append("%s: %s differs in %s, expected %s" % (name, k, d.get("columns"), rule["column"]))
if summ.get("rows_compared") != total: errs.append("summary rows_compared %r, tables add up to %d" % (summ.get("rows_compared"), total))
eq = all(not (o.get("missing") or o.get("extra") or o.get("mismatched") or o.get("schema")) for o in tables.values())
if summ.get("equal") is not eq: errs.append("summary equal %r" % summ.get("equal"))
if "equal" in exp and summ.get("equal") is not exp["equal"]: errs.append("summary equal %r, expected %r" % (summ.get("equal"), exp["equal"]))
if errs:
    sys.exit("; ".join(errs))
PY
}

# ---- equal: text and JSON
n0=$(verify_events)
gw_verify 0 --sample 1000
assert_contains_re "$OUT" '^public\.big: [0-9]+ rows compared \(sample\): equal$'
assert_contains_re "$OUT" '^public\.pair: [0-9]+ rows compared \(sample\): equal$'
assert_contains_re "$OUT" '^public\.small: 100 rows compared \(sample\): equal$'
assert_contains_re "$OUT" '^public\.nokey: not sampled: no key$'
assert_contains_re "$OUT" '^verify \(sample\): 4 tables, [0-9]+ rows compared: equal \(1 table not sampled: no key\)$'
rows=$(sed -nE 's/^public\.big: ([0-9]+) rows compared.*/\1/p' "$OUT")
if ! [[ $rows =~ ^[0-9]+$ ]] || [ "$rows" -lt 500 ] || [ "$rows" -gt 1100 ]; then
    fail "public.big: ${rows:-?} rows compared by --sample 1000, expected about 1000"
fi
assert_eq $((n0 + 1)) "$(verify_events)" "verify events after one sampled run"
gw_verify 0 --sample 1000 --format json --jobs 1
check_sample "$OUT" '{"equal": true}'

# The keyless table is not compared at all: a change there goes unseen (and is said to).
setup_tgt "$DB" "UPDATE nokey SET b = 'changed' WHERE b = 'b7'"
gw_verify 0 --sample 1000
assert_contains_re "$OUT" '^public\.nokey: not sampled: no key$'
setup_tgt "$DB" "UPDATE nokey SET b = 'b7' WHERE b = 'changed'"

# ---- every 10th row changed on the target, in both keyed tables: any window meets them
setup_tgt "$DB" - <<'SQL'
UPDATE big SET v = v || '!' WHERE id % 20 = 0;
UPDATE pair SET v = v || '!' WHERE n % 10 = 0;
SQL
GW_CONTEXT="every 10th row changed"
n0=$(verify_events)
gw_verify 1 --sample 1000 --format json --max-report 1000 --jobs 2
check_sample "$OUT" '{"equal": false,
  "public.big": {"mismatched": {"ratio": [0.1, 0.1], "key": "int(k[\"id\"]) % 20 == 0", "column": "v"}},
  "public.pair": {"mismatched": {"ratio": [0.1, 0.1], "key": "int(k[\"n\"]) % 10 == 0", "column": "v"}}}'
assert_eq $((n0 + 1)) "$(verify_events)" "verify events after a sampled run that found differences"
# The event of that run, as `godwit status` will read it.
ev=$(psql_tgt "$DB" "SELECT phase || ' ' || detail::text FROM _godwit.events WHERE kind = 'verify' ORDER BY at DESC LIMIT 1")
rows=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].splitlines()[-1])["summary"]["rows_compared"])' "$(cat "$OUT")")
python3 - "$ev" "$rows" <<'PY' 2>"$GW_OUT/event.err" || fail "event of the sampled run: $(cat "$GW_OUT/event.err")"
import json, sys
phase, detail = sys.argv[1].split(" ", 1)
d = json.loads(detail)
want = {"mode": "sample", "tables": 4, "tables_different": 2, "rows_compared": int(sys.argv[2]), "equal": False}
errs = ["%s = %r, expected %r" % (k, d.get(k), v) for k, v in want.items() if d.get(k) != v]
if phase != "default": errs.append("phase %r" % phase)
if not isinstance(d.get("seconds"), (int, float)) or isinstance(d.get("seconds"), bool) or not 0 <= d["seconds"] < 300:
    errs.append("seconds = %r" % d.get("seconds"))
if set(d) != set(want) | {"seconds"}: errs.append("fields %s" % sorted(d))
sys.exit("; ".join(errs) if errs else 0)
PY
# The text report lists them too.
gw_verify 1 --sample 1000 --max-report 5
assert_contains_re "$OUT" '^public\.big: [0-9]+ rows compared \(sample\): 0 missing, 0 extra, [1-9][0-9]* mismatched$'
assert_contains_re "$OUT" '^ +mismatched \(id\)=\([0-9]*[02468]0\): column "v": source value [0-9]+, target value [0-9]+!$'
assert_contains_re "$OUT" '^verify \(sample\): 4 tables, [0-9]+ rows compared: 0 missing, 0 extra, [0-9]+ mismatched, 0 schema differences \(1 table not sampled: no key\)$'
setup_tgt "$DB" - <<'SQL'
UPDATE big SET v = left(v, -1) WHERE id % 20 = 0;
UPDATE pair SET v = left(v, -1) WHERE n % 10 = 0;
SQL
GW_CONTEXT=""

# ---- every 10th row deleted on the target
setup_tgt "$DB" "DELETE FROM big WHERE id % 20 = 10"
GW_CONTEXT="every 10th row deleted"
gw_verify 1 --sample 1000 --format json --max-report 1000
check_sample "$OUT" '{"equal": false,
  "public.big": {"missing": {"ratio": [0.1, 0.1], "key": "int(k[\"id\"]) % 20 == 10"}}}'
GW_CONTEXT=""
setup_tgt "$DB" "INSERT INTO big SELECT 2 * i, i % 97, 'value ' || i FROM generate_series(5, 200000, 10) i"

# ---- extra rows on the target between the source's keys (odd ids), one per 10 source rows
setup_tgt "$DB" "INSERT INTO big SELECT i, 0, 'extra' FROM generate_series(1, 400000, 20) i"
GW_CONTEXT="extra rows between the source's keys"
gw_verify 1 --sample 1000 --format json --max-report 1000
check_sample "$OUT" '{"equal": false,
  "public.big": {"extra": {"ratio": [0.09, 0.1], "key": "int(k[\"id\"]) % 20 == 1"}}}'
# --where with --sample: only rows of the filter are compared, on both sides (the extra rows are outside it).
gw_verify 0 --sample 1000 --tables public.big --where 'public.big: grp <> 0'
assert_contains_re "$OUT" '^public\.big: [0-9]+ rows compared \(sample\): equal$'
GW_CONTEXT=""
setup_tgt "$DB" "DELETE FROM big WHERE id % 2 = 1"
assert_tables_equal "$DB" "$DB" public.big id

# ---- a full verify is recorded too
n0=$(verify_events)
gw_verify 0 --jobs 2
assert_contains_re "$OUT" '^verify: 4 tables, 221100 rows compared: equal$'
assert_eq $((n0 + 1)) "$(verify_events)" "verify events after a full run"
assert_eq '{"mode": "full", "equal": true, "tables": 4, "seconds": true, "rows_compared": 221100, "tables_different": 0}' \
    "$(psql_tgt "$DB" "SELECT (detail - 'seconds') || jsonb_build_object('seconds', jsonb_typeof(detail->'seconds') = 'number')
        FROM _godwit.events WHERE kind = 'verify' ORDER BY at DESC LIMIT 1")" "detail of the full run's event"

# ---- a target without godwit state: verify works and writes nothing there
for side in src tgt; do
    "psql_$side" "$BARE" "CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 5000) i" >/dev/null ||
        abort_test "setup of $BARE on $side"
done
for args in "--sample 200" ""; do
    GW_CONTEXT="target without state${args:+, $args}"
    # shellcheck disable=SC2086
    assert_exit 0 "$GODWIT" verify --source "$(src_url "$BARE")" --target "$(tgt_url "$BARE")" $args
    assert_eq "f" "$(psql_tgt "$BARE" "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '_godwit')")" "a _godwit schema on the target"
done
GW_CONTEXT=""

# ---- bad input
for bad in -1 abc 1e3; do
    gw_verify 2 --sample "$bad"
    assert_contains "$ERR" "--sample"
    assert_short_message "$ERR"
done

finish
