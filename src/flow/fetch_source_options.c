/*
 * fetch_source_options.c: the source engine's options of a fetch
 * (--zero-dates, --unsigned-bigint, --type-map; flow/source_flags.h).
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
#include "flow/source_flags.h"
#include "util/log.h"
#include "util/mem.h"

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

GwResult
fetch_source_options(FetchRun *run)
{
    char *given;
    GwResult rc = source_flags_json(&run->opts->source, &given);
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
    return rc ? rc : source_flags_apply(run->source, run->source_options);
}

GwResult
fetch_connect_source(FetchRun *run, EngineConn **out)
{
    GwResult rc = engine_connect(&run->source_ep, out);
    if (rc == GW_OK)
        rc = source_flags_apply(*out, run->source_options);
    return rc;
}
