/*
 * fetch_source_options.c: the source engine's options of a fetch
 * (--zero-dates, --unsigned-bigint, --type-map) as one JSON object:
 *
 *   {"type_map": {"db.table.column": "postgresql type", ...},
 *    "unsigned_bigint": "numeric" | "int8", "zero_dates": "error" | "null"}
 *
 * The object is kept with the phase (PhaseState.source_options) and applied
 * to every source connection through SourceOps.set_source_options, so that
 * the fetch, a resumed fetch and `godwit replicate` convert every value the
 * same way.  A resumed fetch given none of the flags takes the phase's
 * options; given different ones, it is refused: the target's tables were
 * made for the first.  The type map file's content is stored, not its path.
 * Only engines with set_source_options take options; for others they are a
 * usage error, never silently ignored.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fetch_internal.h"
#include "util/log.h"
#include "util/mem.h"

/* The type map file: a JSON object whose values are all strings. */
static GwResult
load_type_map(const char *path, json_t **out)
{
    json_error_t err;
    json_t *map = json_load_file(path, 0, &err);
    if (!map) {
        if (err.line > 0)
            log_error("--type-map %s: %s (line %d)", path, err.text, err.line);
        else
            log_error("--type-map %s: %s", path, err.text);
        return GW_ERR_USAGE;
    }
    if (!json_is_object(map)) {
        log_error("--type-map %s: expected a JSON object {\"database.table.column\": \"postgresql type\"}", path);
        json_decref(map);
        return GW_ERR_USAGE;
    }
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value) {
        if (!json_is_string(value) || !*json_string_value(value)) {
            log_error("--type-map %s: the value of \"%s\" must be a PostgreSQL type name", path, key);
            json_decref(map);
            return GW_ERR_USAGE;
        }
    }
    *out = map;
    return GW_OK;
}

/* The options the flags give, or NULL when no flag was given. */
static GwResult
options_from_flags(const FetchOptions *o, char **out)
{
    *out = NULL;
    if (!o->zero_dates && !o->unsigned_bigint && !o->type_map_file)
        return GW_OK;
    json_t *map = NULL;
    if (o->type_map_file) {
        GwResult rc = load_type_map(o->type_map_file, &map);
        if (rc)
            return rc;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "zero_dates", json_string(o->zero_dates ? o->zero_dates : "error"));
    json_object_set_new(obj, "unsigned_bigint", json_string(o->unsigned_bigint ? o->unsigned_bigint : "numeric"));
    json_object_set_new(obj, "type_map", map ? map : json_object());
    *out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return GW_OK;
}

/* Two option texts mean the same (the target stores them as jsonb, which respaces them). */
static bool
same_options(const char *a, const char *b)
{
    if (!a || !b)
        return !a && !b;
    json_t *x = json_loads(a, 0, NULL), *y = json_loads(b, 0, NULL);
    bool same = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

/* The first option that differs between two option texts, as "--flag was X and is now Y"; NULL if none does. */
static char *
options_difference(const char *then, const char *now)
{
    static const char *const keys[][2] = {
        {"zero_dates", "--zero-dates"}, {"unsigned_bigint", "--unsigned-bigint"}, {"type_map", "--type-map"}};
    json_t *x = then ? json_loads(then, 0, NULL) : NULL, *y = now ? json_loads(now, 0, NULL) : NULL;
    char *diff = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !diff; i++) {
        json_t *a = json_object_get(x, keys[i][0]), *b = json_object_get(y, keys[i][0]);
        if (json_equal(a, b) || (!a && !b))
            continue;
        char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        diff = gw_asprintf("%s was %s and is now %s", keys[i][1], ta ? ta : "not given",
                           tb ? tb : "not given");
        free(ta);
        free(tb);
    }
    json_decref(x);
    json_decref(y);
    return diff;
}

/* On --resume: the options the phase was fetched with, when it exists. */
static GwResult
phase_options(FetchRun *run, char **out, bool *found)
{
    PhaseState ps;
    *out = NULL;
    GwResult rc = run->target->ops->state->state_get_phase(run->target, run->opts->phase, &ps, found);
    if (rc == GW_OK && *found && ps.source_options) {
        *out = ps.source_options;
        ps.source_options = NULL;
    }
    phase_state_free(&ps);
    return rc;
}

static GwResult
apply_options(FetchRun *run, EngineConn *conn)
{
    if (!run->source_options)
        return GW_OK;
    if (!(conn->ops->source && conn->ops->source->set_source_options)) {
        log_error("--zero-dates, --unsigned-bigint and --type-map apply to MySQL/MariaDB sources only, not to %s",
                  run->source_ep.redacted);
        return GW_ERR_USAGE;
    }
    return conn->ops->source->set_source_options(conn, run->source_options);
}

GwResult
fetch_source_options(FetchRun *run)
{
    char *given;
    GwResult rc = options_from_flags(run->opts, &given);
    if (rc)
        return rc;
    if (run->opts->resume) {
        char *stored;
        bool found;
        rc = phase_options(run, &stored, &found);
        if (rc == GW_OK && found && !given) {
            given = stored;
            stored = NULL;
            if (given)
                log_info("phase '%s': using the source options it was fetched with: %s", run->opts->phase, given);
        } else if (rc == GW_OK && found && !same_options(given, stored)) {
            char *diff = options_difference(stored, given);
            log_error("phase '%s': %s; --resume must give the same --zero-dates, --unsigned-bigint and"
                      " --type-map as the fetch it finishes (or none of them)", run->opts->phase,
                      diff ? diff : "the source options differ");
            free(diff);
            rc = GW_ERR_USAGE;
        }
        free(stored);
    }
    run->source_options = given;
    return rc ? rc : apply_options(run, run->source);
}

GwResult
fetch_connect_source(FetchRun *run, EngineConn **out)
{
    GwResult rc = engine_connect(&run->source_ep, out);
    if (rc == GW_OK)
        rc = apply_options(run, *out);
    return rc;
}
