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

# spec NAME <<'JSON': writes the expected report (see check_report) to $GW_OUT/NAME.json, echoes the path.
spec() { cat >"$GW_OUT/$1.json"; echo "$GW_OUT/$1.json"; }

# check_report WHAT FILE SPECFILE: FILE (verify --format json) is one JSON object per line, per table then
# the summary, and matches SPECFILE exactly:
#   {"tables": {"SCHEMA.TABLE": {"rows": N | [MIN, MAX], "missing": [KEY...], "extra": [KEY...],
#               "mismatched": [[KEY, [COLUMN...]]...], "schema": [[KIND, COLUMN, SIDE]...],
#               "values": [[KEY, COLUMN, SOURCE, TARGET]...]}, ...},
#    "max_report": N (default 20), "equal": true|false}
# Every table of the report is in "tables" and every table of "tables" in the report (names unquoted
# or quoted as SQL identifiers); counts are exact; the listed differences are exactly the expected ones
# (or, when more than max_report, that many of them); a mismatched row names exactly its columns; the
# summary adds up.  KEY is an object {column: "value"} as in the contract.
check_report() {
    local what=$1 file=$2 specf=$3 out line
    if out=$(python3 - "$file" "$specf" <<'PY' 2>&1
import json, re, sys
out, specf = sys.argv[1], sys.argv[2]
spec = json.load(open(specf, encoding="utf-8"))
errs = []
tables, summary = {}, None
lines = [l for l in open(out, encoding="utf-8", errors="surrogateescape").read().splitlines() if l.strip()]
if not lines:
    errs.append("stdout is empty")
for n, l in enumerate(lines, 1):
    try:
        o = json.loads(l)
    except Exception as e:
        errs.append("line %d is not JSON (%s): %r" % (n, e, l[:200])); continue
    if not isinstance(o, dict):
        errs.append("line %d is not an object: %r" % (n, l[:200])); continue
    if "summary" in o:
        if n != len(lines):
            errs.append("the summary is line %d of %d, not the last" % (n, len(lines)))
        summary = o["summary"]
    elif "table" in o:
        if o["table"] in tables:
            errs.append("table %s reported twice" % o["table"])
        tables[o["table"]] = o
    else:
        errs.append("line %d has neither \"table\" nor \"summary\": %r" % (n, l[:200]))

def qi(s):
    return s if re.fullmatch(r"[a-z_][a-z0-9_$]*", s) else '"' + s.replace('"', '""') + '"'
def names(full):
    schema, name = full.split(".", 1)
    return {full, qi(schema) + "." + qi(name), '"%s"."%s"' % (schema.replace('"', '""'), name.replace('"', '""'))}
def kstr(k):
    return json.dumps(k, sort_keys=True, ensure_ascii=False)

matched, seen = {}, set()
for want in spec["tables"]:
    hits = [t for t in tables if t in names(want)]
    if not hits:
        errs.append("table %s is not in the report (it has: %s)" % (want, ", ".join(sorted(tables)))); continue
    matched[want] = tables[hits[0]]
    seen.update(hits)
for t in sorted(set(tables) - seen):
    errs.append("unexpected table in the report: %s" % t)

maxrep = spec.get("max_report", 20)
for want, exp in spec["tables"].items():
    o = matched.get(want)
    if o is None:
        continue
    em = sorted(kstr(k) for k in exp.get("missing", []))
    ee = sorted(kstr(k) for k in exp.get("extra", []))
    emm = {kstr(k): sorted(c) for k, c in exp.get("mismatched", [])}
    for fld, n in (("missing", len(em)), ("extra", len(ee)), ("mismatched", len(emm))):
        if o.get(fld) != n:
            errs.append("%s: \"%s\": %r, expected %d" % (want, fld, o.get(fld), n))
    rows = exp.get("rows")
    if rows is not None:
        lo, hi = rows if isinstance(rows, list) else (rows, rows)
        rc = o.get("rows_compared")
        if not isinstance(rc, int) or isinstance(rc, bool) or not lo <= rc <= hi:
            errs.append("%s: rows_compared %r, expected %s" % (want, rc, rows))
    diffs = o.get("differences", [])
    if not isinstance(diffs, list):
        errs.append("%s: differences is not a list: %r" % (want, diffs)); diffs = []
    total = len(em) + len(ee) + len(emm)
    if len(diffs) != min(total, maxrep):
        errs.append("%s: %d differences listed, expected %d (%d found, --max-report %d)" % (want, len(diffs), min(total, maxrep), total, maxrep))
    gm, ge, gmm, vals = [], [], {}, {}
    for d in diffs:
        kind, k = d.get("kind"), kstr(d.get("key"))
        if not isinstance(d.get("key"), dict) or not all(isinstance(v, str) for v in d.get("key").values()):
            errs.append("%s: key is not an object of strings: %r" % (want, d.get("key")))
        if kind == "missing":
            gm.append(k)
        elif kind == "extra":
            ge.append(k)
        elif kind == "mismatched":
            cols = d.get("columns") or []
            gmm[k] = sorted(str(c.get("name")) for c in cols)
            vals[k] = {c.get("name"): (c.get("source"), c.get("target")) for c in cols}
        else:
            errs.append("%s: difference of unknown kind %r" % (want, d))
    if total <= maxrep:
        if sorted(gm) != em:
            errs.append("%s: missing keys %s, expected %s" % (want, sorted(gm), em))
        if sorted(ge) != ee:
            errs.append("%s: extra keys %s, expected %s" % (want, sorted(ge), ee))
        if gmm != emm:
            bad = ["%s: %s (expected %s)" % (k, gmm.get(k), emm.get(k)) for k in sorted(set(gmm) | set(emm)) if gmm.get(k) != emm.get(k)]
            errs.append("%s: mismatched rows/columns differ from the expected: %s" % (want, "; ".join(bad)))
    else:
        for k in gm:
            if k not in em: errs.append("%s: unexpected missing key %s" % (want, k))
        for k in ge:
            if k not in ee: errs.append("%s: unexpected extra key %s" % (want, k))
        for k, c in gmm.items():
            if emm.get(k) != c: errs.append("%s: unexpected mismatched row %s %s (expected %s)" % (want, k, c, emm.get(k)))
        if len(set(gm)) != len(gm) or len(set(ge)) != len(ge):
            errs.append("%s: a key is listed twice" % want)
    for k, col, s, t in exp.get("values", []):
        k = kstr(k)
        if k in vals:
            if vals[k].get(col) != (s, t):
                errs.append("%s: row %s column %s: source/target %r, expected %r" % (want, k, col, vals[k].get(col), (s, t)))
        elif total <= maxrep:
            errs.append("%s: row %s is not reported as mismatched (for its values)" % (want, k))
    gs = sorted((str(s.get("kind")), str(s.get("column") or ""), str(s.get("side") or "")) for s in (o.get("schema") or []))
    es = sorted((k, c or "", s or "") for k, c, s in exp.get("schema", []))
    if gs != es:
        errs.append("%s: schema differences %s, expected %s" % (want, gs, es))

if summary is None:
    errs.append("no summary line")
else:
    tl = list(tables.values())
    sums = {"tables": len(tl),
            "rows_compared": sum(t.get("rows_compared") or 0 for t in tl if isinstance(t.get("rows_compared"), int)),
            "missing": sum(t.get("missing") or 0 for t in tl),
            "extra": sum(t.get("extra") or 0 for t in tl),
            "mismatched": sum(t.get("mismatched") or 0 for t in tl),
            "schema_differences": sum(len(t.get("schema") or []) for t in tl)}
    for k, v in sums.items():
        if summary.get(k) != v:
            errs.append("summary %s = %r, the tables add up to %r" % (k, summary.get(k), v))
    eq = all(sums[k] == 0 for k in ("missing", "extra", "mismatched", "schema_differences"))
    if summary.get("equal") is not eq:
        errs.append("summary equal = %r with %s" % (summary.get("equal"), sums))
    if "equal" in spec and summary.get("equal") is not spec["equal"]:
        errs.append("summary equal = %r, expected %r" % (summary.get("equal"), spec["equal"]))
if errs:
    print("\n".join(errs))
    sys.exit(1)
PY
    ); then
        note "$what: the report is as expected"
        return 0
    fi
    while IFS= read -r line; do fail "$what: $line"; done <<<"$out"
    _gw_dump "$file" "verify report"
    return 1
}

# apply_repair FILE: applies a repair file to the target as the contract says (psql, ON_ERROR_STOP,
# the target server's own session defaults).
apply_repair() {
    if [ ! -s "$1" ]; then fail "repair file $1 is missing or empty"; return 1; fi
    grep -qx 'BEGIN;' "$1" || fail "repair file $1 has no line 'BEGIN;'"
    grep -qx 'COMMIT;' "$1" || fail "repair file $1 has no line 'COMMIT;'"
    if ! psql -X -q -v ON_ERROR_STOP=1 -d "$(tgt_url "$DB")" -f "$1" >"$GW_OUT/repair.out" 2>&1; then
        fail "applying the repair file $1 to the target failed: $(_gw_first_lines "$GW_OUT/repair.out")"
        return 1
    fi
    note "applied $1 ($(wc -l <"$1") lines) to the target"
}

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
gw_verify 1 --live 10 --format json --max-report 1000 --jobs 2
check_report "verify --live 10 with a planted difference" "$OUT" "$PLANTED"
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
apply_repair "$GW_OUT/repair.sql"
gw_verify 0 --format json
check_report "verify after the repair" "$OUT" "$EQUAL"
assert_tables_equal "$DB" "$DB" public.acct id
assert_tables_equal "$DB" "$DB" public.hist id

stop_bg "$REPL" 30 TERM
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
finish
