#!/usr/bin/env python3
# verify_report_check.py REPORT SPEC: checks a `godwit verify --format json` report against the
# expected differences in SPEC (see check_report in lib.sh); prints each mismatch, exit 1 if any.
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
