"""k8s_check.py RENDERED.yaml: every object of a rendered kustomization checked against the Kubernetes
API's definitions, offline: Debian's python3-kubernetes, whose models are generated from the API's
OpenAPI schema, gives each kind's fields and their types.  An unknown field, a value of the wrong type,
a required field missing or a value outside an enumeration is an error, one line per error naming the
object and the field's path.  Exit 1 when there is any.

Run with Debian's /usr/bin/python3 (the module is a Debian package)."""
import datetime
import sys

import yaml
from kubernetes import client

KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
}
PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float)}
errors = []


def check(value, type_name, path):
    if value is None:
        return
    if type_name in PRIMITIVE:
        ok = isinstance(value, PRIMITIVE[type_name]) and not (type_name == "int" and isinstance(value, bool))
        if not ok:
            errors.append("%s: %r is not %s" % (path, value, type_name))
        return
    if type_name in ("object", "datetime", "date"):
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append("%s: not a list" % path)
            return
        for i, v in enumerate(value):
            check(v, type_name[5:-1], "%s[%d]" % (path, i))
        return
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            errors.append("%s: not a map" % path)
            return
        inner = type_name[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            check(v, inner, "%s.%s" % (path, k))
        return
    model = getattr(client.models, type_name)
    if not isinstance(value, dict):
        errors.append("%s: not an object (%s)" % (path, type_name))
        return
    by_json = {j: a for a, j in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            errors.append("%s.%s: no such field in %s" % (path, key, type_name))
            continue
        check(v, model.openapi_types[by_json[key]], "%s.%s" % (path, key))
    # The model's own setters refuse a required field left out and a value outside its enumeration.
    try:
        model(**{by_json[k]: v for k, v in value.items() if k in by_json})
    except (ValueError, TypeError) as e:
        errors.append("%s: %s" % (path, e))


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        name = "%s/%s" % (d.get("kind"), (d.get("metadata") or {}).get("name"))
        if key not in KINDS:
            errors.append("%s: kind %s %s is not one this check knows" % (name, key[0], key[1]))
            continue
        check(d, KINDS[key], name)
    for e in errors:
        print(e)
    print("%d objects checked, %d errors" % (len(docs), len(errors)), file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
