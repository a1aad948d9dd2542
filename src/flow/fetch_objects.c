/*
 * fetch_objects.c: the schemas' other objects in a fetch (views, functions,
 * triggers, rules, types, extensions, comments: core/schema_script.h).
 *
 * The source writes them as a script (SourceOps.schema_script) once the
 * selection is described; the target checks it with everything else before
 * anything is made (an extension a column needs and the target lacks is a
 * refusal), then runs it in three stages around its tables: what they need
 * before them, what needs them after them, and triggers, rules and the
 * materialized views' rows once the data is in.  Without a script (--objects
 * none, --schema existing, or engines that cannot), the report lists those
 * objects as not migrated instead (SourceOps.objects_left_out).
 */
#include <stdlib.h>
#include <string.h>

#include "flow/fetch_internal.h"
#include "util/log.h"
#include "util/mem.h"

/* Whether the engines can make the objects: the source writes a script the target runs. */
static bool
engines_can(const FetchRun *run)
{
    const SourceOps *so = run->source->ops->source;
    const TargetOps *to = run->target->ops->target;
    return so->schema_script && to->check_objects && to->make_objects;
}

GwResult
fetch_objects_plan(FetchRun *run, const Catalog *cat)
{
    const FetchOptions *o = run->opts;
    bool want = o->objects == OBJECTS_ALL || (o->objects == OBJECTS_AUTO && o->schema_mode != SCHEMA_EXISTING);
    if (!want && o->privileges) {
        log_error("--privileges copies the owners and grants with the schema's objects: not with --objects none"
                  " or --schema existing");
        return GW_ERR_USAGE;
    }
    if (!want)
        return GW_OK;
    if (!engines_can(run)) {
        if (o->objects == OBJECTS_AUTO && !o->privileges)
            return GW_OK;
        log_error("%s: %s cannot make a %s source's schema objects (views, functions, ...); fetch with"
                  " --objects none, and make them yourself", o->privileges ? "--privileges" : "--objects all",
                  run->target->ops->name, run->source->ops->name);
        return GW_ERR_USAGE;
    }
    GwResult rc = run->source->ops->source->schema_script(run->source, cat, o->privileges, &run->objects);
    run->objects_made = rc == GW_OK;
    return rc;
}

GwResult
fetch_objects_check(FetchRun *run, const Catalog *cat)
{
    const SchemaScript *objects = run->objects_made ? &run->objects : NULL;
    GwResult rc = objects ? run->target->ops->target->check_objects(run->target, cat, &run->objects) : GW_OK;
    return rc ? rc : run->target->ops->target->check_types(run->target, cat, objects);
}

/*
 * One stage, on a session of its own: the script's settings (search_path,
 * check_function_bodies, ...) stay off the fetch's other sessions.
 */
GwResult
fetch_objects_make(FetchRun *run, ScriptStage stage)
{
    if (!run->objects_made)
        return GW_OK;
    EngineConn *conn = NULL;
    GwResult rc = engine_connect(&run->target_ep, &conn);
    if (rc == GW_OK)
        rc = run->target->ops->target->make_objects(conn, &run->objects, stage);
    engine_close(conn);
    size_t missing = schema_script_count(&run->objects, SCRIPT_LEFT_OUT) +
                     schema_script_count(&run->objects, SCRIPT_FAILED);
    if (rc == GW_OK && stage == SCRIPT_AFTER_DATA && missing > 0)
        log_warn("target %s: %zu of the source schemas' objects are not migrated: the report lists each with the"
                 " reason", run->target_ep.redacted, missing);
    return rc;
}

/* Without a script: the defaults that call the schema's functions are not made either; listed with the rest. */
void
fetch_objects_list_deferred(FetchRun *run)
{
    if (run->objects_made)
        return;
    for (size_t i = 0; i < run->catalog.ntables; i++) {
        const TableDef *t = &run->catalog.tables[i];
        for (size_t j = 0; j < t->ncolumns; j++) {
            const ColumnDef *col = &t->columns[j];
            if (!col->deferred_default_sql)
                continue;
            char *name = gw_asprintf("%s.%s.%s: %s", t->schema, t->name, col->name, col->deferred_default_sql);
            schema_objects_add(&run->left_out, "default", name);
            free(name);
        }
    }
}
