#!/usr/bin/env bash
# The Kubernetes manifests (deploy/kubernetes) as an operator renders them: `kubectl kustomize` of the
# example (two phases of one plan) gives every object checked against the Kubernetes API's definitions
# offline (k8s_check.py: unknown fields, wrong types, required fields, enumerations), and what running
# godwit there needs: no URL in any argument or plain value (they come from the Secret), each phase's
# objects named and labelled for it and told its phase, the phase in the plan, every stream Deployment a
# runner and a standby (--standby) with readiness and liveness on /healthz and a Prometheus scrape
# annotation, nothing running as root.  The hot standby itself: test_replicate_standby.sh.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v kubectl >/dev/null || abort_test "kubectl missing (make deps)"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import kubernetes, yaml" 2>/dev/null ||
    abort_test "Debian's python3-kubernetes and python3-yaml missing (make deps)"
K8S=$GW_ROOT/deploy/kubernetes
kubectl kustomize "$K8S/example" >"$GW_OUT/rendered.yaml" 2>"$GW_OUT/kustomize.err" ||
    abort_test "kubectl kustomize: $(_gw_first_lines "$GW_OUT/kustomize.err")"
assert_eq "" "$(grep -v '^$' "$GW_OUT/kustomize.err")" "kustomize warnings"
/usr/bin/python3 "$GW_ROOT/tests/integration/k8s_check.py" "$GW_OUT/rendered.yaml" >"$GW_OUT/check.out" 2>&1 ||
    fail "objects the Kubernetes API would refuse: $(head -c 600 "$GW_OUT/check.out")"

/usr/bin/python3 - "$GW_OUT/rendered.yaml" "$K8S/example/plan.json" >"$GW_OUT/invariants.out" 2>&1 <<'PY' ||
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
plan = {p["name"] for p in json.load(open(sys.argv[2]))["phases"]}
problems = []
def say(obj, what):
    problems.append("%s/%s: %s" % (obj["kind"], obj["metadata"]["name"], what))
kinds = {}
for d in docs:
    kinds.setdefault(d["kind"], []).append(d)
    if d["kind"] not in ("Job", "Deployment"):
        continue
    pod = d["spec"]["template"]["spec"]
    phase_label = d["metadata"]["labels"].get("godwit.io/phase")
    if not phase_label or not d["metadata"]["name"].endswith("-" + phase_label):
        say(d, "not named and labelled for its phase")
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        say(d, "may run as root")
    for c in pod["containers"]:
        env = {e["name"]: e for e in c.get("env", [])}
        for a in c.get("args", []):
            if "://" in a:
                say(d, "a URL in the arguments")
        for e in env.values():
            if "://" in str(e.get("value", "")):
                say(d, "a URL in a plain environment value: %s" % e["name"])
        for url in ("GODWIT_SOURCE_URL", "GODWIT_TARGET_URL"):
            if "secretKeyRef" not in env.get(url, {}).get("valueFrom", {}):
                say(d, "%s not from a Secret" % url)
        phase = env.get("GODWIT_PHASE", {}).get("value")
        if phase not in plan or phase.replace("_", "-") != phase_label:
            say(d, "told phase %r, not its own (%s) of the plan" % (phase, phase_label))
        if "$(GODWIT_PHASE)" not in c["args"]:
            say(d, "its arguments do not name the phase")
        if d["kind"] == "Deployment":
            if "--standby" not in c["args"]:
                say(d, "no --standby: its second replica would be refused, not stand by")
            for probe in ("readinessProbe", "livenessProbe"):
                if c.get(probe, {}).get("httpGet", {}).get("path") != "/healthz":
                    say(d, "no %s on /healthz" % probe)
            if d["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/scrape") != "true":
                say(d, "not scraped by Prometheus")
    if d["kind"] == "Deployment":
        want = 2 if "-replicate-" in d["metadata"]["name"] else 0
        if d["spec"]["replicas"] != want:
            say(d, "replicas %s, not %d" % (d["spec"]["replicas"], want))
for kind, n in (("Job", 2), ("Deployment", 4), ("ConfigMap", 1), ("Secret", 1)):
    if len(kinds.get(kind, [])) != n:
        problems.append("%d %s objects rendered, not %d" % (len(kinds.get(kind, [])), kind, n))
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
    fail "the rendered manifests: $(head -c 800 "$GW_OUT/invariants.out")"
finish
