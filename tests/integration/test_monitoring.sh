#!/usr/bin/env bash
# The monitoring kept in the repository works with what godwit serves: the alert rules pass promtool's
# checks and its unit tests of when each fires (monitoring/prometheus/godwit-alerts.test.yml); every
# query of the Grafana dashboard is valid PromQL (checked by promtool as recording rules); and every
# godwit series the rules and the dashboard name is one a running replicate serves on /metrics (the
# webhook's and verify's, served by those commands, are looked up where they are registered).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MON=$GW_ROOT/monitoring
command -v promtool >/dev/null || abort_test "promtool missing (make deps installs Debian's prometheus)"
promtool check rules "$MON/prometheus/godwit-alerts.yml" >"$GW_OUT/check.out" 2>&1 ||
    fail "promtool check rules: $(_gw_first_lines "$GW_OUT/check.out")"
(cd "$MON/prometheus" && promtool test rules godwit-alerts.test.yml) >"$GW_OUT/test.out" 2>&1 ||
    fail "promtool test rules: $(tail -c 600 "$GW_OUT/test.out")"
# The scrape configuration for the Kubernetes manifests' pods (Debian's promtool lacks Kubernetes
# discovery): it parses, loads the rules, and keeps pods by the labels and annotations the manifests set.
/usr/bin/python3 - "$MON/prometheus/prometheus-kubernetes.yml" "$GW_ROOT/deploy/kubernetes/phase" <<'PY' >"$GW_OUT/config.out" 2>&1 ||
import glob, os, sys, yaml
conf = yaml.safe_load(open(sys.argv[1]))
assert conf["rule_files"] == ["godwit-alerts.yml"], conf["rule_files"]
text = open(sys.argv[1]).read()
for d in glob.glob(os.path.join(sys.argv[2], "*-deployment.yaml")):
    m = yaml.safe_load(open(d))
    pod = m["spec"]["template"]["metadata"]
    assert pod["labels"]["app.kubernetes.io/name"] == "godwit" and "app_kubernetes_io_name" in text, d
    for a in pod.get("annotations", {}):
        assert "__meta_kubernetes_pod_annotation_" + a.replace(".", "_").replace("/", "_") in text, (d, a)
PY
    fail "prometheus-kubernetes.yml: $(tail -c 600 "$GW_OUT/config.out")"

# The dashboard's queries, as recording rules promtool parses.
python3 - "$MON/grafana/godwit-dashboard.json" >"$GW_OUT/dashboard-rules.yml" <<'PY' || fail "the dashboard is not valid JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["panels"], "no panels"
print("groups:\n  - name: dashboard\n    rules:")
for i, p in enumerate(d["panels"]):
    for t in p["targets"]:
        expr = t["expr"].replace("$instance", ".*")
        print("      - record: dashboard_%d\n        expr: %s" % (i, json.dumps(expr)))
PY
promtool check rules "$GW_OUT/dashboard-rules.yml" >"$GW_OUT/dash.out" 2>&1 ||
    fail "a dashboard query is not valid PromQL: $(_gw_first_lines "$GW_OUT/dash.out")"

# The series they name, against those a replicate serves.
DB=$(new_dbs gw_monitoring) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" "CREATE TABLE t (id int PRIMARY KEY, v text)"
gw_fetch 0 "$DB" "$DB" --phase mon || abort_test "fetch"
setup_src "$DB" "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g"
MPORT=$(free_port)
bg_replicate REPL "$DB" "$DB" --phase mon --metrics-addr "127.0.0.1:$MPORT"
applied() { curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -q '^godwit_changes_applied_total{table="public.t"} 100$'; }
wait_for 30 applied || fail "replicate did not apply the 100 rows: $(curl -sf "http://127.0.0.1:$MPORT/metrics" | head -c 300)"
curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -oE '^godwit_[a-z_]+' | sort -u >"$GW_OUT/served"
stop_bg "$REPL"
grep -ohE 'godwit_[a-z_]+' "$MON/prometheus/godwit-alerts.yml" "$MON/grafana/godwit-dashboard.json" | sort -u >"$GW_OUT/named"
while read -r name; do
    grep -qx "$name" "$GW_OUT/served" && continue
    # Served by failback's webhook or by verify: registered under that name in their code.
    grep -rqF "\"$name\"" "$GW_ROOT/src/http" "$GW_ROOT/src/flow/verify.c" ||
        fail "the monitoring names $name, which godwit does not serve"
done <"$GW_OUT/named"
assert_ge 5 "$(wc -l <"$GW_OUT/named")" "godwit series the monitoring names"
finish
