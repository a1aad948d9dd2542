/*
 * fetch.c: `godwit fetch`, step by step (DESIGN.md, "How data flows").
 *
 * 1. With --plan, check the plan's phases against each other and the
 *    source's rows (flow/plan_check.c).  Describe the selected tables and
 *    refuse bad selections and unstorable types; then check the phase's
 *    state (a resume must be the same job: fetch_job.c), the source's
 *    prerequisites, privileges and stream names, each row filter on the
 *    source, and the target's tables and privileges, all before anything is
 *    created anywhere: a refused fetch leaves nothing behind.
 * 2. Create godwit's state, record the phase as starting, prepare the
 *    target's tables, open the workers' source sessions, take the snapshot
 *    (creating the phase's stream when streaming), join it in every
 *    session, and record where it stands.
 * 3. Describe again inside the snapshot, prepare the target's schema, plan
 *    or reload the shards, copy them in parallel, then add foreign keys and
 *    sequence values, and mark the phase fetched.
 *
 * A run killed at any point is finished by --resume: a phase that never got
 * its snapshot starts over; otherwise done shards are kept and the rest are
 * copied under a new snapshot whose position each shard records.
 */
#include "flow/fetch.h"

#include <stdlib.h>
#include <string.h>

#include "core/phase.h"
#include "flow/fetch_internal.h"
#include "flow/target_fit.h"
#include "flow/plan_check.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"

/*
 * SIGINT and SIGTERM only set a flag: each step of the fetch ends before
 * the next one looks at it, so that an interrupted fetch leaves its state
 * where --resume can pick it up, and says so (interrupted_report).
 */
static GwResult
stop_point(GwResult rc)
{
    return rc == GW_OK && signals_stop_requested() ? GW_ERR_INTERNAL : rc;
}

static GwResult
connect_both(FetchRun *run)
{
    char *app = phase_names_app(&run->mp, "fetch");
    GwResult rc = endpoint_init(&run->source_ep, run->opts->source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&run->target_ep, run->opts->target_url, ROLE_TARGET, app);
    free(app);
    if (rc == GW_OK)
        rc = engine_connect(&run->source_ep, &run->source);
    if (rc == GW_OK)
        rc = engine_connect(&run->target_ep, &run->target);
    if (rc == GW_OK && !run->source->ops->source) {
        log_error("source %s: %s cannot be a fetch source", run->source_ep.redacted, run->source->ops->name);
        rc = GW_ERR_USAGE;
    }
    return rc;
}

static GwResult save_phase(FetchRun *run, PhaseStatus status);

/* Throws away a phase's stream and state so that it can start over. */
static GwResult
reset_phase(FetchRun *run)
{
    char *slot = phase_names_slot(&run->mp, false);
    GwResult rc = run->source->ops->stream->drop_stream(run->source, slot);
    free(slot);
    if (rc == GW_OK)
        rc = run->target->ops->state->state_delete_phase(run->target, run->opts->phase);
    return rc;
}

/*
 * A phase handed over (cut over, rolled back or finished) is never fetched
 * again under its name: a resume would mark it fetched and send forward
 * changes over the target's own writes, a drop-create would drop tables
 * other phases share.
 */
static bool
handed_over(PhaseStatus status)
{
    return !phase_status_can_move(status, PHASE_STARTING);
}

/* A phase found on the target, resumed: the same job, or refused; *done when already fetched. */
static GwResult
resume_phase(FetchRun *run, const PhaseState *ps, const Catalog *cat, bool *done)
{
    GwResult rc = fetch_job_check(run, ps, cat);
    if (rc)
        return rc;
    if (ps->status == PHASE_FETCHED) {
        log_info("phase '%s' is already fetched; nothing to resume", run->opts->phase);
        *done = true;
    } else {
        run->opts->stream = ps->stream;
    }
    return GW_OK;
}

/* A new phase (or one started over): what it is recorded with when it starts. */
static void
new_phase(FetchRun *run, const Catalog *cat)
{
    FetchOptions *o = run->opts;
    o->resume = false;
    run->phase.name = gw_strdup(o->phase);
    run->phase.stream = o->stream;
    run->phase.filters = selection_filters_json(&o->selection);
    run->phase.fetch_job = fetch_job_json(cat, o->schema_mode);
    if (run->source_options)
        run->phase.source_options = gw_strdup(run->source_options);
}

/*
 * Decides between a new fetch, a resumed one, one that starts over and a
 * refusal, from the phase's state on the target.  Reads only: what it
 * decides is done once every check has passed.  *done is set when there is
 * nothing left to do.
 */
static GwResult
decide_phase(FetchRun *run, const Catalog *cat, bool *done)
{
    FetchOptions *o = run->opts;
    PhaseState ps;
    bool found;
    *done = false;
    GwResult rc = run->target->ops->state->state_get_phase(run->target, o->phase, &ps, &found);
    if (rc)
        return rc;
    if (found && handed_over(ps.status)) {
        log_error("phase '%s' is past its fetch (status %s) on this target: fetching it again would overwrite what"
                  " was written there since its cutover; to move these rows again, finish the phase, delete its rows on"
                  " the target and fetch them under a new phase name", o->phase, phase_status_name(ps.status));
        rc = GW_ERR_USAGE;
    } else if (found && o->resume && ps.status == PHASE_STARTING) {
        log_info("phase '%s': the earlier fetch stopped before its snapshot; starting over", o->phase);
        run->reset = true;
    } else if (found && !o->resume && o->schema_mode == SCHEMA_DROP_CREATE) {
        log_info("phase '%s': --schema drop-create starts over: dropping its stream and state", o->phase);
        run->reset = true;
    } else if (found && !o->resume) {
        log_error("phase '%s' was already %s on this target; use --resume to finish it, or --schema drop-create"
                  " to start over", o->phase, ps.status == PHASE_FETCHED ? "fetched" : "started");
        rc = GW_ERR_USAGE;
    } else if (found) {
        rc = resume_phase(run, &ps, cat, done);
        if (rc == GW_OK)
            run->phase = ps;
        else
            phase_state_free(&ps);
        return rc;
    }
    if (rc == GW_OK && run->reset) {
        run->old_filters = ps.filters;
        ps.filters = NULL;
    }
    phase_state_free(&ps);
    if (rc == GW_OK && !found && o->resume)
        log_info("phase '%s' has no earlier fetch on this target; starting a new one", o->phase);
    if (rc == GW_OK)
        new_phase(run, cat);
    return rc;
}

/* The selection, outside any snapshot: fails fast, before any slot exists. */
static GwResult
describe_selection(FetchRun *run, Catalog *cat)
{
    Selection *sel = &run->opts->selection;
    GwResult rc = run->source->ops->source->describe(run->source, sel, cat);
    if (rc)
        return rc;
    const char *missing = selection_unmatched_include(sel);
    if (missing) {
        log_error("source %s: no table matches '%s'", run->source_ep.redacted, missing);
        return GW_ERR_USAGE;
    }
    if (cat->ntables == 0) {
        log_error("source %s: no tables to fetch", run->source_ep.redacted);
        return GW_ERR_USAGE;
    }
    return fetch_check_filters(sel, cat);
}

/* The columns whose NOT NULL the target cannot keep for the values the rows hold (SourceOps.nullable_by_values). */
static GwResult
nullable_by_values(FetchRun *run, Catalog *cat)
{
    const SourceOps *so = run->source->ops->source;
    return so->nullable_by_values ? so->nullable_by_values(run->source, cat) : GW_OK;
}

/* The catalog described in the snapshot has the tables as they were made: with the first one's nullability. */
static void
keep_nullability(Catalog *cat, const Catalog *made)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        TableDef *t = &cat->tables[i];
        const TableDef *m = catalog_find_table(made, t->schema, t->name);
        for (size_t k = 0; m && k < t->ncolumns && k < m->ncolumns; k++)
            if (t->columns[k].not_null_droppable && !strcmp(t->columns[k].name, m->columns[k].name))
                t->columns[k].not_null = m->columns[k].not_null;
    }
}

/* Each row filter, by the source against the table's real columns (a literal of the wrong type). */
static GwResult
check_predicates(FetchRun *run, const Catalog *cat)
{
    const Selection *sel = &run->opts->selection;
    EngineConn *src = run->source;
    if (!src->ops->source || !src->ops->source->check_predicate)
        return GW_OK;
    GwResult rc = GW_OK;
    for (size_t i = 0; i < sel->nfilters && rc == GW_OK; i++) {
        const RowFilter *f = &sel->filters[i];
        const TableDef *t = catalog_find_table(cat, f->schema, f->table);
        char *sql = t ? src->ops->source->render_predicate(src, f->predicate) : NULL;
        if (sql)
            rc = src->ops->source->check_predicate(src, t, sql, f->text + strspn(f->text, " \t"));
        free(sql);
    }
    return rc;
}

/* The target's tables as this run will make them (see SchemaPrep); check_only: refuses or not, changes nothing. */
static GwResult
prepare_target(FetchRun *run, const Catalog *cat, bool check_only)
{
    SchemaPrep prep = {
        .cat = cat,
        .rows = &run->opts->selection,
        .mode = run->opts->schema_mode,
        .resume = run->opts->resume,
        .phase = run->opts->phase,
        .old_filters = run->old_filters,
        .check_only = check_only,
    };
    return run->target->ops->target->prepare_schema(run->target, &prep);
}

/*
 * Everything that could refuse the fetch, on both sides, before anything is
 * created: the column types and extensions the target lacks, the source's
 * verdict on each row filter, its change log settings, privileges and
 * stream names, and the target's tables and privileges.
 * A phase started over keeps its stream's names until it drops them.
 */
static GwResult
check_everything(FetchRun *run, const Catalog *cat)
{
    FetchOptions *o = run->opts;
    char *new_stream = o->stream && !o->resume && !run->reset ? phase_names_slot(&run->mp, false) : NULL;
    GwResult rc = migration_check_phase_names(run->target, &run->mp);
    if (rc == GW_OK)
        rc = fetch_objects_plan(run, cat);
    if (rc == GW_OK)
        rc = fetch_objects_check(run, cat);
    if (rc == GW_OK)
        rc = check_predicates(run, cat);
    if (rc == GW_OK)
        rc = target_fit_check(run->source, run->target, cat, &run->opts->selection);
    if (rc == GW_OK)
        rc = run->source->ops->source->check_source(run->source, cat, o->stream, new_stream);
    free(new_stream);
    if (rc == GW_OK)
        rc = prepare_target(run, cat, true);
    return rc;
}

/*
 * The first changes: godwit's state, the phase started over if it must be,
 * the phase recorded as starting (a run stopped from here on is resumed),
 * then the target's tables, between the objects they need and the objects
 * that need them.
 */
static GwResult
start_phase(FetchRun *run, const Catalog *cat)
{
    GwResult rc = run->target->ops->state->state_init(run->target);
    /* The first state written: a new migration is recorded with it (flow/migration.h). */
    if (rc == GW_OK)
        rc = migration_record(run->target, &run->migration);
    if (rc == GW_OK && run->reset)
        rc = reset_phase(run);
    if (rc == GW_OK && !run->opts->resume)
        rc = save_phase(run, PHASE_STARTING);
    if (rc == GW_OK)
        rc = fetch_objects_make(run, SCRIPT_BEFORE_TABLES);
    if (rc == GW_OK)
        rc = prepare_target(run, cat, false);
    if (rc == GW_OK)
        rc = fetch_objects_make(run, SCRIPT_AFTER_TABLES);
    return rc;
}

static GwResult
end_stale_sessions(FetchRun *run)
{
    GwResult rc = run->source->ops->end_stale_sessions(run->source);
    if (rc == GW_OK)
        rc = run->target->ops->end_stale_sessions(run->target);
    return rc;
}

/*
 * The snapshot's catalog must be the one the target was prepared for: same
 * tables, same columns in the same order (a column added in between would
 * be copied into a table that lacks it).
 */
static bool
same_columns(const TableDef *a, const TableDef *b)
{
    if (a->ncolumns != b->ncolumns)
        return false;
    for (size_t i = 0; i < a->ncolumns; i++)
        if (strcmp(a->columns[i].name, b->columns[i].name) != 0 ||
            strcmp(a->columns[i].type_sql, b->columns[i].type_sql) != 0)
            return false;
    return true;
}

static GwResult
same_tables(const FetchRun *run, const Catalog *before)
{
    bool same = before->ntables == run->catalog.ntables;
    for (size_t i = 0; same && i < before->ntables; i++)
        same = !strcmp(before->tables[i].schema, run->catalog.tables[i].schema) &&
               !strcmp(before->tables[i].name, run->catalog.tables[i].name) &&
               same_columns(&before->tables[i], &run->catalog.tables[i]);
    if (same)
        return GW_OK;
    log_error("source %s: tables were created, dropped or altered while the fetch started; run it again",
              run->source_ep.redacted);
    return GW_ERR_SOURCE;
}

static GwResult
save_phase(FetchRun *run, PhaseStatus status)
{
    GwResult rc = phase_state_move(&run->phase, status);
    return rc ? rc : run->target->ops->state->state_put_phase(run->target, &run->phase);
}

/*
 * The copy workers' source connections are opened before the snapshot: an
 * engine whose sessions share one instant through a brief lock (MySQL's
 * global read lock) needs every session to join while the lock is held, and
 * connecting takes far longer than joining.
 */
static GwResult
open_worker_sources(FetchRun *run)
{
    run->nworkers = run->opts->jobs < 1 ? 1 : run->opts->jobs;
    run->worker_sources = gw_calloc((size_t) run->nworkers, sizeof *run->worker_sources);
    GwResult rc = GW_OK;
    for (int i = 0; i < run->nworkers && rc == GW_OK; i++)
        rc = fetch_connect_source(run, &run->worker_sources[i]);
    return rc;
}

/* Every session that reads rows (this one, for describe and splits, and each worker's) joins the snapshot. */
static GwResult
join_snapshot(FetchRun *run)
{
    return snapshot_share(run->source, run->worker_sources, run->nworkers, &run->snapshot);
}

/* A target that makes tables flat: what of each table's partitions and parents it does not keep. */
static void
list_flattened(FetchRun *run)
{
    if (run->target->ops->keeps_table_trees)
        return;
    for (size_t i = 0; i < run->catalog.ntables; i++) {
        const TableDef *t = &run->catalog.tables[i];
        char *name = table_display_name(t);
        char *what = t->npartitions ? gw_asprintf("%s (%zu partitions): one table on the target", name,
                                                  t->npartitions)
                     : t->ninherits ? gw_asprintf("%s inherits from %s: a table of its own on the target", name,
                                                  t->inherits[0])
                                    : NULL;
        if (what)
            schema_objects_add(&run->left_out, t->npartitions ? "partitioning" : "inheritance", what);
        free(what);
        free(name);
    }
}

/* What of the source's schemas the fetch does not make, for its report; said once as a warning too. */
static GwResult
list_left_out(FetchRun *run)
{
    const SourceOps *so = run->source->ops->source;
    list_flattened(run);
    fetch_objects_list_deferred(run);
    /* Made by the script, each entry says what became of it (the report). */
    if (run->objects_made || !so->objects_left_out)
        return GW_OK;
    GwResult rc = so->objects_left_out(run->source, &run->catalog, &run->left_out);
    run->left_out_known = rc == GW_OK;
    if (rc == GW_OK && run->left_out.n > 0)
        log_warn("source %s: %zu object(s) of the fetched tables' schemas are not migrated (views, functions,"
                 " triggers, ...): the report lists them; make them on the target before cutover",
                 run->source_ep.redacted, run->left_out.n);
    return rc;
}

/* Takes the snapshot, joins it everywhere and, for a new phase, records where its stream starts. */
static GwResult
take_snapshot(FetchRun *run, const Catalog *cat)
{
    FetchOptions *o = run->opts;
    SnapshotKind kind = !o->stream ? SNAPSHOT_PLAIN : o->resume ? SNAPSHOT_RESUME : SNAPSHOT_NEW_STREAM;
    char *slot = phase_names_slot(&run->mp, false);
    GwResult rc = run->source->ops->source->snapshot_create(run->source, slot, cat, kind, &run->snapshot);
    free(slot);
    if (rc == GW_OK)
        rc = join_snapshot(run);
    if (rc || o->resume)
        return rc;
    run->phase.snapshot_position = gw_strdup(run->snapshot.position);
    if (run->snapshot.slot)
        run->phase.slot = gw_strdup(run->snapshot.slot);
    if (run->snapshot.publications)
        run->phase.publications = gw_strdup(run->snapshot.publications);
    rc = save_phase(run, PHASE_FETCHING);
    if (rc == GW_OK && o->stream)
        log_info("phase '%s': stream starts at %s%s%s%s", o->phase, run->phase.snapshot_position,
                 run->phase.slot ? " (slot " : "", run->phase.slot ? run->phase.slot : "",
                 run->phase.slot ? ")" : "");
    return rc;
}

static GwResult
copy_everything(FetchRun *run)
{
    GwResult rc = fetch_plan_shards(run);
    if (rc)
        return rc;
    progress_start(&run->progress, "fetch", run->items, run->ntables);
    rc = fetch_run_workers(run);
    progress_stop(&run->progress);
    if (rc == GW_OK)
        rc = run->target->ops->target->finish_schema(run->target, &run->catalog);
    if (rc == GW_OK)
        rc = fetch_objects_make(run, SCRIPT_AFTER_DATA);
    return rc;
}

static GwResult
record_done(FetchRun *run)
{
    double seconds = progress_now() - run->started;
    GwResult rc = save_phase(run, PHASE_FETCHED);
    if (rc == GW_OK) {
        char *detail = fetch_event_detail(run, seconds);
        rc = run->target->ops->state->state_add_event(run->target, run->phase.name, "fetch", detail);
        free(detail);
    }
    if (rc == GW_OK)
        fetch_report(run, seconds);
    return rc;
}

static GwResult
fetch_steps(FetchRun *run)
{
    bool done = false;
    Catalog before;
    catalog_init(&before);
    GwResult rc = migration_open(run->opts->source_url, run->opts->target_url, "fetch", run->opts->phase,
                                 &run->migration);
    phase_names_init(&run->mp, run->migration.rec.id, run->opts->phase);
    if (rc == GW_OK)
        rc = stop_point(connect_both(run));
    if (rc == GW_OK)
        rc = stop_point(fetch_source_options(run));
    /* A plan's phases are checked against each other and the source's rows before anything is created. */
    if (rc == GW_OK && run->opts->plan)
        rc = flow_plan_check_source(run->opts->plan, run->source, run->opts->allow_uncovered);
    if (rc == GW_OK)
        rc = stop_point(describe_selection(run, &before));
    if (rc == GW_OK)
        rc = stop_point(decide_phase(run, &before, &done));
    if (rc == GW_OK && !done)
        rc = stop_point(nullable_by_values(run, &before));
    /* Every refusal comes before the first change, on either side. */
    if (rc == GW_OK && !done)
        rc = stop_point(check_everything(run, &before));
    if (rc == GW_OK && !done)
        rc = stop_point(end_stale_sessions(run));
    /* The target's tables are made ready before any slot exists. */
    if (rc == GW_OK && !done)
        rc = stop_point(start_phase(run, &before));
    if (rc || done) {
        catalog_free(&before);
        return rc;
    }
    rc = stop_point(open_worker_sources(run));
    if (rc == GW_OK)
        rc = stop_point(take_snapshot(run, &before));
    if (rc == GW_OK) {
        /* Described again inside the snapshot: what is copied is exactly what is described. */
        Selection *sel = &run->opts->selection;
        rc = run->source->ops->source->describe(run->source, sel, &run->catalog);
    }
    if (rc == GW_OK)
        rc = same_tables(run, &before);
    if (rc == GW_OK)
        keep_nullability(&run->catalog, &before);
    if (rc == GW_OK)
        rc = list_left_out(run);
    catalog_free(&before);
    if (rc == GW_OK)
        rc = stop_point(fetch_plan_tables(run));
    if (rc == GW_OK)
        rc = stop_point(copy_everything(run));
    if (rc == GW_OK)
        rc = record_done(run);
    return rc;
}

/* "N of M shards copied" from the target's record (what --resume keeps), or NULL. */
static char *
shards_done(FetchRun *run)
{
    ShardProgress *shards = NULL;
    int n = 0;
    if (!run->target || !run->phase.name ||
        run->target->ops->state->state_get_shards(run->target, run->phase.name, &shards, &n) != GW_OK)
        return NULL;
    int done = 0;
    for (int i = 0; i < n; i++) {
        done += shards[i].done;
        shard_progress_free(&shards[i]);
    }
    free(shards);
    return n ? gw_asprintf("%d of %d shards copied", done, n) : NULL;
}

/*
 * One line for an interrupted fetch: what it left behind (the phase's
 * status as recorded, shards copied, the slot holding WAL) and the command
 * that continues it.  Read from the target, so it says what --resume finds.
 */
static void
interrupted_report(FetchRun *run)
{
    const FetchOptions *o = run->opts;
    const char *status = phase_status_name(run->phase.status);
    bool recorded = run->phase.status != PHASE_NONE;
    char *shards = recorded ? shards_done(run) : NULL;
    char *state = !recorded ? gw_asprintf("no phase recorded yet")
                  : gw_asprintf("phase '%s' %s%s%s%s%s%s", o->phase, status, shards ? ", " : "", shards ? shards : "",
                                run->phase.slot ? ", replication slot " : "", run->phase.slot ? run->phase.slot : "",
                                run->phase.slot ? " kept (holding WAL on the source until the fetch goes on)" : "");
    const char *next = recorded ? o->resume_command : o->rerun_command;
    log_error("fetch interrupted: %s; continue with: %s", state, next ? next : "the same command with --resume");
    free(state);
    free(shards);
}

GwResult
flow_fetch(FetchOptions *opts)
{
    FetchRun run;
    memset(&run, 0, sizeof run);
    run.opts = opts;
    run.started = progress_now();
    catalog_init(&run.catalog);

    GwResult rc = fetch_steps(&run);
    if (rc && signals_stop_requested())
        interrupted_report(&run);
    else if (rc && run.phase.name && run.phase.stream && run.phase.slot)
        log_warn("stream %s keeps the source's change log until this phase is resumed or dropped",
                 run.phase.slot);

    if (run.source && run.source->ops->source)
        (void) run.source->ops->source->snapshot_release(run.source);
    for (int i = 0; i < run.nworkers; i++)
        engine_close(run.worker_sources[i]);
    free(run.worker_sources);
    free(run.source_options);
    free(run.old_filters);
    fetch_plan_free(&run);
    snapshot_free(&run.snapshot);
    phase_state_free(&run.phase);
    migration_free(&run.migration);
    catalog_free(&run.catalog);
    schema_objects_free(&run.left_out);
    schema_script_free(&run.objects);
    engine_close(run.source);
    engine_close(run.target);
    endpoint_free(&run.source_ep);
    endpoint_free(&run.target_ep);
    return rc;
}
