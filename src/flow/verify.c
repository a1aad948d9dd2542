/*
 * verify.c: `godwit verify`: which tables, from which snapshots, in which
 * shards; the workers that compare them; the live recheck; the report.
 *
 * Both sides are described, matched (verify_schema.c), then each is read
 * from one snapshot shared by all its sessions (a repeatable-read snapshot
 * exported by PostgreSQL, MySQL's consistent snapshot, CockroachDB's AS OF
 * SYSTEM TIME) by --jobs workers, each holding one session per side.  With
 * --sample, each keyed table is one work item of a few windows
 * (verify_sample.c).  The result goes to stdout and, when the target has
 * godwit state for the phase, into its _godwit.events.  Nothing here is
 * global: cutover runs it in-process, possibly more than once.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow/migration.h"
#include "flow/source_flags.h"
#include "flow/verify_internal.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/retry.h"
#include "util/sleep.h"

/* A table larger than this is compared in several key-range shards at once. */
#define VERIFY_SHARD_BYTES (64LL * 1024 * 1024)
#define VERIFY_MAX_SHARDS 64

typedef struct Worker {
    Verifier *v;
    EngineConn *src, *tgt;
    WorkItem *items;
    size_t nitems;
    atomic_size_t *next;
    atomic_int *failed;
    GwResult rc;
    pthread_t thread;
} Worker;

/* The phase's tables and filters, when a fetch recorded them on the target. */
static GwResult
load_phase(Verifier *v)
{
    GwResult rc = phase_load(v->target, v->opts->phase, &v->phase, &v->phase_found);
    const char *options = v->phase.state.source_options;
    v->src_options = options ? gw_strdup(options) : NULL;
    return rc ? rc : source_flags_apply(v->source, v->src_options);
}

/* Whether --tables/--exclude keep a table of the phase (the phase chose them first). */
static void
apply_user_selection(Verifier *v)
{
    v->user_tables = gw_calloc(v->src_cat.ntables + 1, sizeof *v->user_tables);
    for (size_t i = 0; i < v->src_cat.ntables; i++)
        v->user_tables[i] = selection_matches(&v->opts->selection, v->src_cat.tables[i].schema,
                                              v->src_cat.tables[i].name);
}

static GwResult
describe_both(Verifier *v)
{
    GwResult rc = load_phase(v);
    Selection *sel = v->phase_found ? &v->phase.tables : &v->opts->selection;
    if (rc == GW_OK)
        rc = v->source->ops->source->describe(v->source, sel, &v->src_cat);
    const char *missing = rc == GW_OK ? selection_unmatched_include(sel) : NULL;
    if (missing) {
        log_error("source %s: no table matches '%s'", v->source_ep.redacted, missing);
        rc = GW_ERR_USAGE;
    }
    if (rc == GW_OK && v->phase_found) {
        apply_user_selection(v);
        if ((missing = selection_unmatched_include(&v->opts->selection))) {
            log_error("phase '%s': none of its tables matches '%s'", v->opts->phase, missing);
            rc = GW_ERR_USAGE;
        }
    }
    if (rc == GW_OK && v->src_cat.ntables == 0) {
        log_error("source %s: no tables to verify", v->source_ep.redacted);
        rc = GW_ERR_USAGE;
    }
    if (rc == GW_OK) {
        /* The target's tables that the selection names: only those can be extra. */
        Selection *tsel = v->phase_found ? NULL : &v->opts->selection;
        Selection all;
        selection_init(&all);
        rc = v->target->ops->source->describe(v->target, tsel ? tsel : &all, &v->tgt_cat);
        selection_free(&all);
    }
    return rc;
}

static const RowFilter *
filter_for(const Verifier *v, const TableDef *t)
{
    const RowFilter *f = selection_filter_for(&v->opts->selection, t->schema, t->name);
    return f ? f : phase_filter_for(&v->phase, t->schema, t->name);
}

/* Each side's row filter, and whether both sides order the key alike (merge) or not (lookup). */
static void
plan_method(Verifier *v, VTable *t)
{
    const RowFilter *f = filter_for(v, t->src);
    if (f) {
        t->src_pred = v->source->ops->source->render_predicate(v->source, f->predicate);
        t->tgt_pred = v->target->ops->source->render_predicate(v->target, f->predicate);
    }
    if (t->method != VERIFY_MERGE)
        return;
    t->key_numeric = gw_calloc(t->src->npk + 1, sizeof *t->key_numeric);
    for (size_t i = 0; i < t->src->npk; i++) {
        const EngineOps *so = v->source->ops, *to = v->target->ops;
        bool alike = (so->source && so->source->orders_like_bytes) && (to->source && to->source->orders_like_bytes) &&
                     so->source->orders_like_bytes(v->source, t->src, t->src->pk[i]) &&
                     to->source->orders_like_bytes(v->target, t->tgt, t->tgt->pk[i]);
        if (!alike)
            t->method = VERIFY_LOOKUP;
        t->key_numeric[i] = value_class_of(t->tgt->columns[t->tgt->pk[i]].type_sql) == VALUE_CLASS_NUMERIC;
    }
    if (t->method == VERIFY_LOOKUP)
        log_info("%s: the two sides order its key differently (collations): compared by key lookups", t->display);
}

static GwResult
check_ops(const Verifier *v)
{
    const EngineConn *sides[2] = {v->source, v->target};
    for (int i = 0; i < 2; i++) {
        const EngineOps *o = sides[i]->ops;
        if (!o->source) {
            log_error("%s %s: verify is not supported for %s", role_name(sides[i]->role),
                      sides[i]->endpoint->redacted, o->name);
            return GW_ERR_USAGE;
        }
    }
    return GW_OK;
}

static GwResult
split(EngineConn *conn, const TableDef *t, int jobs, KeyRange **ranges, int *n)
{
    int64_t shards = t->est_bytes / VERIFY_SHARD_BYTES;
    if (t->est_rows > 100000 && shards < jobs)
        shards = jobs;
    shards = shards < 1 ? 1 : shards > VERIFY_MAX_SHARDS ? VERIFY_MAX_SHARDS : shards;
    return conn->ops->source->split_table(conn, t, (int) shards, ranges, n);
}

static void
add_items(WorkItem **items, size_t *n, size_t *cap, VTable *t, WorkKind kind, KeyRange *ranges, int nranges)
{
    for (int i = 0; i < nranges; i++) {
        gw_grow((void **) items, cap, *n + 1, sizeof **items);
        (*items)[(*n)++] = (WorkItem) {.table = t, .kind = kind, .range = ranges[i]};
    }
    free(ranges);
}

static int
by_size_desc(const void *a, const void *b)
{
    const WorkItem *x = a, *y = b;
    int64_t p = x->table->src->est_bytes, q = y->table->src->est_bytes;
    return p < q ? 1 : p > q ? -1 : 0;
}

/*
 * --sample: one item per table with a key, which splits and compares it
 * in its worker (the splits of many tables run in parallel too); the
 * biggest tables first.  A table without a key cannot be sampled: reading
 * it in full is what sampling is there to avoid.
 */
static void
plan_samples(Verifier *v, WorkItem **items, size_t *nitems)
{
    size_t cap = 0;
    for (size_t i = 0; i < v->ntables; i++) {
        VTable *t = &v->tables[i];
        if (t->method == VERIFY_UNKEYED) {
            t->not_sampled = true;
            continue;
        }
        if (t->method != VERIFY_MERGE && t->method != VERIFY_LOOKUP)
            continue;
        gw_grow((void **) items, &cap, *nitems + 1, sizeof **items);
        (*items)[(*nitems)++] = (WorkItem) {.table = t, .kind = WORK_SAMPLE, .limit = v->opts->sample_rows,
                                            .seed = v->seed ^ (0x9e3779b97f4a7c15ULL * (i + 1))};
    }
    if (*nitems > 1)
        qsort(*items, *nitems, sizeof **items, by_size_desc);
}

/* Splits every compared table into work items: the biggest shards first keep the workers busy to the end. */
static GwResult
plan_work(Verifier *v, WorkItem **items, size_t *nitems)
{
    if (v->opts->sample_rows > 0) {
        plan_samples(v, items, nitems);
        return GW_OK;
    }
    size_t cap = 0;
    GwResult rc = GW_OK;
    for (size_t i = 0; i < v->ntables && rc == GW_OK; i++) {
        VTable *t = &v->tables[i];
        KeyRange *ranges = NULL;
        int n = 0;
        if (t->method == VERIFY_UNKEYED) {
            add_items(items, nitems, &cap, t, WORK_UNKEYED, gw_calloc(1, sizeof(KeyRange)), 1);
        } else if (t->method == VERIFY_MERGE || t->method == VERIFY_LOOKUP) {
            rc = split(v->source, t->src, v->opts->jobs, &ranges, &n);
            if (rc == GW_OK)
                add_items(items, nitems, &cap, t, t->method == VERIFY_MERGE ? WORK_MERGE : WORK_SOURCE_PAGES, ranges, n);
            if (rc == GW_OK && t->method == VERIFY_LOOKUP) {
                rc = split(v->target, t->tgt, v->opts->jobs, &ranges, &n);
                if (rc == GW_OK)
                    add_items(items, nitems, &cap, t, WORK_TARGET_PAGES, ranges, n);
            }
        }
    }
    return rc;
}

static void
free_items(WorkItem *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const TableDef *def = items[i].kind == WORK_TARGET_PAGES ? items[i].table->tgt : items[i].table->src;
        key_range_free(&items[i].range, def ? def->npk : 0);
    }
    free(items);
}

static void *
worker_main(void *arg)
{
    Worker *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(w->next, 1);
        if (i >= w->nitems || atomic_load(w->failed) || signals_stop_requested())
            break;
        WorkItem *item = &w->items[i];
        if (item->table->progress)
            atomic_store(&item->table->progress->state, PROGRESS_COPYING);
        w->rc = verify_work(item->table, item, w->src, w->tgt, w->v->opts->float_tolerance);
        if (w->rc) {
            atomic_store(w->failed, 1);
            break;
        }
    }
    return NULL;
}

/* One side's snapshot, taken by its main session and shared by its workers' sessions. */
static GwResult
take_side(EngineConn *main, EngineConn *const *sessions, int n, const char *phase, const Catalog *cat,
          Snapshot *snap)
{
    GwResult rc = main->ops->source->snapshot_create(main, phase, cat, SNAPSHOT_PLAIN, snap);
    return rc ? rc : snapshot_share(main, sessions, n, snap);
}

/* Opens the workers' sessions and joins every session of each side to that side's snapshot. */
static GwResult
open_snapshots(Verifier *v, Worker *workers, int n, Snapshot *ss, Snapshot *ts)
{
    GwResult rc = GW_OK;
    for (int i = 0; i < n && rc == GW_OK; i++) {
        rc = engine_connect(&v->source_ep, &workers[i].src);
        if (rc == GW_OK)
            rc = source_flags_apply(workers[i].src, v->src_options);
        if (rc == GW_OK)
            rc = engine_connect(&v->target_ep, &workers[i].tgt);
    }
    EngineConn **srcs = gw_calloc((size_t) n, sizeof *srcs), **tgts = gw_calloc((size_t) n, sizeof *tgts);
    for (int i = 0; i < n; i++) {
        srcs[i] = workers[i].src;
        tgts[i] = workers[i].tgt;
    }
    if (rc == GW_OK)
        rc = take_side(v->source, srcs, n, v->opts->phase, &v->src_cat, ss);
    if (rc == GW_OK)
        rc = take_side(v->target, tgts, n, v->opts->phase, &v->tgt_cat, ts);
    free(srcs);
    free(tgts);
    return rc;
}

static GwResult
run_workers(Verifier *v, Worker *workers, int n, WorkItem *items, size_t nitems)
{
    atomic_size_t next = 0;
    atomic_int failed = 0;
    int started = 0;
    GwResult rc = GW_OK;
    for (int i = 0; i < n; i++) {
        workers[i] = (Worker) {.v = v, .src = workers[i].src, .tgt = workers[i].tgt, .items = items,
                               .nitems = nitems, .next = &next, .failed = &failed};
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            log_error("cannot start worker thread %d", i + 1);
            atomic_store(&failed, 1);
            rc = GW_ERR_INTERNAL;
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        if (rc == GW_OK)
            rc = workers[i].rc;
    }
    if (rc == GW_OK && signals_stop_requested())
        rc = GW_ERR_INTERNAL;
    return rc;
}

static void
start_progress(Verifier *v, Progress *p, ProgressItem **items)
{
    *items = gw_calloc(v->ntables + 1, sizeof **items);
    size_t n = 0;
    int64_t sample = v->opts->sample_rows;
    for (size_t i = 0; i < v->ntables; i++) {
        VTable *t = &v->tables[i];
        if (t->method == VERIFY_NONE || t->not_sampled)
            continue;
        ProgressItem *it = &(*items)[n++];
        it->name = t->display;
        it->est_rows = t->src->est_rows > 0 ? t->src->est_rows : 0;
        if (sample > 0 && (it->est_rows == 0 || it->est_rows > sample))
            it->est_rows = sample;
        atomic_init(&it->state, PROGRESS_WAITING);
        t->progress = it;
        t->m_rows = metrics_series("godwit_verify_rows_compared_total", "Rows compared, per table",
                                   METRIC_COUNTER, "table", t->display);
        t->m_diffs = metrics_series("godwit_verify_differences", "Row differences found, per table",
                                    METRIC_GAUGE, "table", t->display);
        /* An earlier run in this process (embedded) left its count there. */
        metrics_set(t->m_diffs, 0);
    }
    progress_start(p, "verify", *items, n);
}

static GwResult
compare_rows(Verifier *v)
{
    int n = v->opts->jobs < 1 ? 1 : v->opts->jobs;
    Worker *workers = gw_calloc((size_t) n, sizeof *workers);
    Snapshot ss = {0}, ts = {0};
    WorkItem *items = NULL;
    size_t nitems = 0;
    GwResult rc = open_snapshots(v, workers, n, &ss, &ts);
    if (rc == GW_OK)
        rc = plan_work(v, &items, &nitems);
    if (rc == GW_OK) {
        Progress progress;
        ProgressItem *pitems;
        start_progress(v, &progress, &pitems);
        rc = run_workers(v, workers, n, items, nitems);
        for (size_t i = 0; i < v->ntables; i++)
            if (v->tables[i].progress)
                atomic_store(&v->tables[i].progress->state, PROGRESS_DONE);
        progress_stop(&progress);
        free(pitems);
        for (size_t i = 0; i < v->ntables; i++)
            v->tables[i].progress = NULL;
    }
    free_items(items, nitems);
    for (int i = 0; i < n; i++) {
        engine_close(workers[i].src);
        engine_close(workers[i].tgt);
    }
    free(workers);
    if (v->source->ops->source)
        (void) v->source->ops->source->snapshot_release(v->source);
    if (v->target->ops->source)
        (void) v->target->ops->source->snapshot_release(v->target);
    snapshot_free(&ss);
    snapshot_free(&ts);
    return rc;
}

static size_t
pending(const Verifier *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->ntables; i++)
        if (v->tables[i].method == VERIFY_MERGE || v->tables[i].method == VERIFY_LOOKUP)
            n += v->tables[i].ndiffs;
    return n;
}

static void
recount(VTable *t, const int64_t unkept[3])
{
    t->missing = unkept[DIFF_MISSING];
    t->extra = unkept[DIFF_EXTRA];
    t->mismatched = unkept[DIFF_MISMATCH];
    for (size_t i = 0; i < t->ndiffs; i++)
        vtable_count_diff(t, t->diffs[i].kind, 1);
    metrics_set(t->m_diffs, (double) (t->missing + t->extra + t->mismatched));
}

/*
 * --live: differences seen in the snapshots may be changes still in flight.
 * Each is read again on both sides, now, with backoff, until it matches or
 * the time is up; what remains is reported as the rows stand at the end.
 */
static GwResult
recheck_live(Verifier *v)
{
    if (v->opts->live_seconds <= 0 || pending(v) == 0)
        return GW_OK;
    EngineConn *src = NULL, *tgt = NULL;
    GwResult rc = engine_connect(&v->source_ep, &src);
    if (rc == GW_OK)
        rc = source_flags_apply(src, v->src_options);
    if (rc == GW_OK)
        rc = engine_connect(&v->target_ep, &tgt);
    int64_t (*unkept)[3] = gw_calloc(v->ntables + 1, sizeof *unkept);
    for (size_t i = 0; i < v->ntables; i++) {
        VTable *t = &v->tables[i];
        int64_t kept[3] = {0, 0, 0};
        for (size_t k = 0; k < t->ndiffs; k++)
            kept[t->diffs[k].kind]++;
        unkept[i][DIFF_MISSING] = t->missing - kept[DIFF_MISSING];
        unkept[i][DIFF_EXTRA] = t->extra - kept[DIFF_EXTRA];
        unkept[i][DIFF_MISMATCH] = t->mismatched - kept[DIFF_MISMATCH];
    }
    double deadline = progress_now() + v->opts->live_seconds;
    /* One verifier alone: nothing to spread, so the delays are exact. */
    RetryPolicy policy = {.initial = 0.2, .cap = 5, .jitter = RETRY_JITTER_NONE, .budget = 0};
    Retry retry;
    retry_init(&retry, &policy);
    log_info("live: rechecking %zu differing rows for up to %d s", pending(v), v->opts->live_seconds);
    while (rc == GW_OK && pending(v) > 0 && !signals_stop_requested()) {
        for (size_t i = 0; i < v->ntables && rc == GW_OK; i++) {
            VTable *t = &v->tables[i];
            if (t->ndiffs && (t->method == VERIFY_MERGE || t->method == VERIFY_LOOKUP)) {
                rc = verify_recheck(t, src, tgt, v->opts->float_tolerance);
                recount(t, unkept[i]);
            }
        }
        double left = deadline - progress_now();
        if (rc || pending(v) == 0 || left <= 0)
            break;
        double delay = retry_next_delay(&retry);
        sleep_seconds(delay < left ? delay : left);
    }
    if (rc == GW_OK && pending(v))
        log_info("live: %zu rows still differ after %d s", pending(v), v->opts->live_seconds);
    free(unkept);
    engine_close(src);
    engine_close(tgt);
    return rc;
}

static bool
any_difference(const Verifier *v)
{
    for (size_t i = 0; i < v->ntables; i++) {
        const VTable *t = &v->tables[i];
        if (t->nschema || t->missing || t->extra || t->mismatched)
            return true;
    }
    return false;
}

/*
 * The run's result into the target's _godwit.events, for `godwit status`,
 * when the target holds state for the phase (and only then: verify must
 * leave a database without godwit state untouched).  On a session of its
 * own: the main one is still inside the read-only snapshot transaction.
 * A failure is logged by the engine and does not change what verify found.
 */
static void
record_result(Verifier *v)
{
    if (!v->phase_found || !v->target->ops->state)
        return;
    EngineConn *conn = NULL;
    char *detail = verify_result_json(&v->opts->result);
    GwResult rc = engine_connect(&v->target_ep, &conn);
    if (rc == GW_OK)
        rc = conn->ops->state->state_add_event(conn, v->opts->phase, "verify", detail);
    if (rc == GW_OK)
        log_debug("verify: result recorded in the target's _godwit.events (phase '%s')", v->opts->phase);
    engine_close(conn);
    free(detail);
}

static GwResult
verify_steps(Verifier *v)
{
    GwResult rc = engine_connect(&v->source_ep, &v->source);
    if (rc == GW_OK)
        rc = engine_connect(&v->target_ep, &v->target);
    if (rc == GW_OK)
        rc = check_ops(v);
    if (rc == GW_OK)
        rc = describe_both(v);
    if (rc)
        return rc;
    verify_match_schema(v);
    for (size_t i = 0; i < v->ntables; i++)
        if (v->tables[i].method != VERIFY_NONE)
            plan_method(v, &v->tables[i]);
    rc = compare_rows(v);
    if (rc == GW_OK)
        rc = recheck_live(v);
    if (rc)
        return rc;
    verify_result_compute(v, &v->opts->result);
    v->opts->result.seconds = progress_now() - v->started;
    verify_report(v, v->opts->json_output);
    if (v->opts->repair_file)
        rc = verify_write_repair(v, v->opts->repair_file);
    if (rc == GW_OK)
        record_result(v);
    if (rc == GW_OK && any_difference(v))
        rc = GW_DIFFERENT;
    return rc;
}

GwResult
flow_verify(VerifyOptions *opts)
{
    Verifier v;
    memset(&v, 0, sizeof v);
    v.opts = opts;
    v.started = progress_now();
    memset(&opts->result, 0, sizeof opts->result);
    /* A caller's selection used by an earlier run: which patterns matched is this run's to find. */
    for (size_t i = 0; opts->selection.include_used && i < opts->selection.ninclude; i++)
        opts->selection.include_used[i] = false;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    v.seed = ((uint64_t) now.tv_sec * 1000000007ULL) ^ (uint64_t) now.tv_nsec ^ ((uint64_t) getpid() << 32);
    catalog_init(&v.src_cat);
    catalog_init(&v.tgt_cat);
    phase_init(&v.phase);
    MigrationPhase mp;
    GwResult rc = migration_phase(opts->migration_id, opts->source_url, opts->target_url, "verify", opts->phase, &mp);
    char *app = phase_names_app(&mp, "verify");
    if (rc == GW_OK)
        rc = endpoint_init(&v.source_ep, opts->source_url, ROLE_SOURCE, app);
    v.source_ep.read.rows_fenced = opts->fenced;
    if (rc == GW_OK)
        rc = endpoint_init(&v.target_ep, opts->target_url, ROLE_TARGET, app);
    free(app);
    HttpServer *http = NULL;
    if (rc == GW_OK && opts->metrics_addr)
        rc = http_server_start(opts->metrics_addr, &http);
    if (rc == GW_OK)
        rc = verify_steps(&v);
    http_server_stop(http);
    for (size_t i = 0; i < v.ntables; i++)
        vtable_free(&v.tables[i]);
    free(v.tables);
    free(v.src_options);
    free(v.user_tables);
    engine_close(v.source);
    engine_close(v.target);
    catalog_free(&v.src_cat);
    catalog_free(&v.tgt_cat);
    phase_free(&v.phase);
    endpoint_free(&v.source_ep);
    endpoint_free(&v.target_ep);
    /* Embedded, the registry is the caller's: its own series may still be in use. */
    if (!opts->embedded)
        metrics_reset();
    return rc;
}
