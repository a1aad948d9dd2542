/*
 * status.c: `godwit status` (see status.h).  Read-only: it never writes to
 * the target.  JSON output is the engine's report as it is; the text form
 * is rendered from it.
 */
#include "flow/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/progress.h"

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static json_int_t
num(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void
print_phase(json_t *p)
{
    char b[32];
    json_t *f = json_object_get(p, "fetch");
    printf("phase %s: %s%s\n", str(p, "name"), str(p, "status"), json_is_true(json_object_get(p, "stream")) ? "" : " (no stream)");
    printf("  fetch: %lld/%lld shards of %lld tables, %lld rows, %s; stream starts at %s (slot %s)\n",
           (long long) num(f, "shards_done"), (long long) num(f, "shards"), (long long) num(f, "tables"),
           (long long) num(f, "rows"), progress_format_bytes((double) num(f, "bytes"), b, sizeof b),
           str(p, "start_position"), str(p, "slot"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "streams"), i, s) {
        if (!json_object_get(s, "last_apply"))
            printf("  stream %s: applied up to %s (on the source)\n", str(s, "direction"), str(s, "position"));
        else
            printf("  stream %s: applied up to %s, last apply %s (%.1f s ago)\n", str(s, "direction"),
                   str(s, "position"), str(s, "last_apply"),
                   json_number_value(json_object_get(s, "seconds_since_apply")));
    }
    json_t *e;
    json_array_foreach(json_object_get(p, "events"), i, e) {
        printf("  event %s at %s\n", str(e, "kind"), str(e, "at"));
    }
}

/*
 * Adds each failback stream, read from the source's checkpoints, to the
 * streams of its phase.  The source only knows the position applied.
 */
static GwResult
add_failback_streams(json_t *root, const char *source_url)
{
    Endpoint ep;
    EngineConn *conn = NULL;
    GwResult rc = endpoint_init(&ep, source_url, ROLE_SOURCE, "godwit status");
    if (rc == GW_OK)
        rc = engine_connect(&ep, &conn);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(root, "phases"), i, p) {
        if (rc || strcmp(str(p, "status"), "failback") != 0 || !conn->ops->checkpoint_get)
            continue;
        char *stream = gw_asprintf("%s:failback", str(p, "name")), *pos = NULL;
        bool found = false;
        rc = conn->ops->checkpoint_get(conn, stream, &pos, &found);
        json_t *streams = json_object_get(p, "streams");
        if (rc == GW_OK && json_is_array(streams))
            json_array_append_new(streams, json_pack("{s:s, s:s, s:s}", "direction", "failback", "stream", stream,
                                                     "position", found ? pos : "not started"));
        free(pos);
        free(stream);
    }
    engine_close(conn);
    endpoint_free(&ep);
    return rc;
}

GwResult
flow_status(const char *target_url, const char *source_url, bool json_output)
{
    Endpoint ep;
    EngineConn *conn = NULL;
    char *report = NULL;
    bool found = false;
    GwResult rc = endpoint_init(&ep, target_url, ROLE_TARGET, "godwit status");
    if (rc == GW_OK)
        rc = engine_connect(&ep, &conn);
    if (rc == GW_OK)
        rc = conn->ops->state_report(conn, &report, &found);
    if (rc == GW_OK && !found) {
        log_error("target %s has no godwit state (schema _godwit): no fetch has run against it", ep.redacted);
        rc = GW_ERR_USAGE;
    }
    json_error_t err;
    json_t *root = rc == GW_OK ? json_loads(report, 0, &err) : NULL;
    if (rc == GW_OK && source_url)
        rc = add_failback_streams(root, source_url);
    if (rc == GW_OK && json_output) {
        char *text = json_dumps(root, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
    } else if (rc == GW_OK) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(root, "phases"), i, p) {
            print_phase(p);
        }
        if (json_array_size(json_object_get(root, "phases")) == 0)
            printf("no phases on this target yet\n");
    }
    json_decref(root);
    free(report);
    engine_close(conn);
    endpoint_free(&ep);
    return rc;
}
