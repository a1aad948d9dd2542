/*
 * fetch_workers.c: the copy workers of a fetch.
 *
 * Each worker holds one source connection inside the shared snapshot (opened
 * and joined by fetch.c before the snapshot was released) and one target
 * connection, and takes tasks from one queue: finishing a table
 * whose shards are all in (keys and indexes) comes first, so that index
 * builds overlap the copy of other tables; otherwise the next shard,
 * largest tables first.  The first failure stops every worker at its next
 * chunk; completed shards stay committed for --resume.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/fetch_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/sleep.h"

typedef struct Worker {
    FetchRun *run;
    int id;
    EngineConn *source;
    EngineConn *target;
    pthread_t thread;
    GwResult rc;
} Worker;

static bool
run_stopping(FetchRun *run)
{
    return atomic_load(&run->failed) != GW_OK || signals_stop_requested();
}

static void
fail_run(FetchRun *run, GwResult rc)
{
    pthread_mutex_lock(&run->mu);
    int expected = GW_OK;
    atomic_compare_exchange_strong(&run->failed, &expected, (int) rc);
    pthread_cond_broadcast(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

/* How often a shard whose commit failed by itself on the target (a serialization failure) is tried. */
#define SHARD_ATTEMPTS 3

/*
 * Pumps one shard from source to target; the target commits rows and
 * progress together.  *source_done: the source's rows were all read (its
 * session is still in the snapshot, so the shard can be read again).
 */
static GwResult
copy_shard(Worker *w, FetchShard *shard, bool *source_done)
{
    *source_done = false;
    FetchTable *ft = shard->table;
    const EngineOps *src = w->source->ops, *tgt = w->target->ops;
    GwResult rc = src->source->copy_out_begin(w->source, ft->def, &shard->range, ft->predicate_sql, ft->format);
    if (rc)
        return rc;
    rc = tgt->target->copy_in_begin(w->target, ft->def, ft->format);
    if (rc) {
        src->source->copy_out_abort(w->source);
        return rc;
    }
    int64_t bytes = 0, chunks = 0;
    for (;;) {
        const char *buf;
        int len;
        rc = src->source->copy_out_next(w->source, &buf, &len);
        *source_done = rc == GW_OK && len == 0;
        if (rc || len == 0)
            break;
        rc = tgt->target->copy_in_put(w->target, buf, len);
        if (rc) {
            src->source->copy_out_abort(w->source);
            break;
        }
        bytes += len;
        chunks++;
        /* A chunk is a row, give or take binary COPY's header and trailer; corrected at the end. */
        atomic_fetch_add(&ft->progress->rows, 1);
        atomic_fetch_add(&ft->progress->bytes, len);
        if (run_stopping(w->run)) {
            src->source->copy_out_abort(w->source);
            rc = atomic_load(&w->run->failed) ? (GwResult) atomic_load(&w->run->failed) : GW_ERR_INTERNAL;
            break;
        }
    }
    shard->state.bytes = bytes;
    /* A session that took its own snapshot records that snapshot's position with the shard. */
    const char *own = (src->source && src->source->joined_position) ? src->source->joined_position(w->source) : NULL;
    if (own) {
        free(shard->state.snapshot_position);
        shard->state.snapshot_position = gw_strdup(own);
    }
    int64_t rows = 0;
    GwResult end = tgt->target->copy_in_end(w->target, w->run->phase.name, &shard->state, rc == GW_OK, &rows);
    if (rc == GW_OK)
        rc = end;
    if (rc) {
        /* Not copied: its progress goes back. */
        atomic_fetch_sub(&ft->progress->rows, chunks);
        atomic_fetch_sub(&ft->progress->bytes, bytes);
    }
    if (rc == GW_OK) {
        atomic_fetch_add(&ft->progress->rows, rows - chunks);
        pthread_mutex_lock(&w->run->mu);
        ft->rows += rows;
        ft->bytes += bytes;
        pthread_mutex_unlock(&w->run->mu);
        log_debug("worker %d: %s shard %d/%d: %lld rows", w->id, ft->progress->name, shard->state.shard + 1,
                  shard->state.nshards, (long long) rows);
    }
    return rc;
}

/*
 * A shard whose commit the target refused by itself (a serialization
 * failure, CockroachDB's commit deadline) is copied again, in a new target
 * session, from the same snapshot: the source's rows were all read.  Any
 * other failure stops the fetch (--resume takes it from there).
 */
static GwResult
copy_shard_retrying(Worker *w, FetchShard *shard)
{
    for (int attempt = 1;; attempt++) {
        bool source_done;
        GwResult rc = copy_shard(w, shard, &source_done);
        const EngineOps *tgt = w->target->ops;
        if (rc == GW_OK || !source_done || attempt == SHARD_ATTEMPTS || run_stopping(w->run) ||
            !(tgt->error_is_transient && tgt->error_is_transient(w->target)))
            return rc;
        log_warn("worker %d: %s shard %d/%d: the target refused its commit by itself; copying it again (attempt"
                 " %d of %d)", w->id, shard->table->progress->name, shard->state.shard + 1, shard->state.nshards,
                 attempt + 1, SHARD_ATTEMPTS);
        engine_close(w->target);
        w->target = NULL;
        rc = engine_connect(&w->run->target_ep, &w->target);
        if (rc)
            return rc;
        sleep_ms(100 * attempt);
    }
}

static void
queue_finish(FetchRun *run, FetchTable *ft)
{
    gw_grow((void **) &run->finish_queue, &run->finish_cap, run->nfinish + 1, sizeof *run->finish_queue);
    run->finish_queue[run->nfinish++] = ft;
}

static GwResult
finish_table(Worker *w, FetchTable *ft)
{
    atomic_store(&ft->progress->state, PROGRESS_INDEXING);
    GwResult rc = w->target->ops->target->finish_table(w->target, &w->run->catalog, ft->def);
    if (rc == GW_OK) {
        pthread_mutex_lock(&w->run->mu);
        ft->finished = progress_now();
        pthread_mutex_unlock(&w->run->mu);
        atomic_store(&ft->progress->state, PROGRESS_DONE);
    }
    return rc;
}

/* Takes the next task under the lock; returns false when there is nothing left to do. */
static bool
next_task(FetchRun *run, FetchShard **shard, FetchTable **finish)
{
    *shard = NULL;
    *finish = NULL;
    for (;;) {
        if (run_stopping(run))
            return false;
        if (run->nfinish > 0) {
            *finish = run->finish_queue[--run->nfinish];
            return true;
        }
        if (run->next_shard < run->nshards) {
            *shard = &run->shards[run->next_shard++];
            if ((*shard)->table->started == 0)
                (*shard)->table->started = progress_now();
            return true;
        }
        if (run->in_flight == 0)
            return false;
        pthread_cond_wait(&run->cv, &run->mu);
    }
}

static void
task_done(FetchRun *run, FetchShard *shard)
{
    pthread_mutex_lock(&run->mu);
    run->in_flight--;
    if (shard && --shard->table->shards_left == 0)
        queue_finish(run, shard->table);
    pthread_cond_broadcast(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

static void *
worker_main(void *arg)
{
    Worker *w = arg;
    FetchRun *run = w->run;
    pthread_mutex_lock(&run->mu);
    for (;;) {
        FetchShard *shard;
        FetchTable *finish;
        if (!next_task(run, &shard, &finish))
            break;
        run->in_flight++;
        pthread_mutex_unlock(&run->mu);
        GwResult rc;
        if (shard) {
            atomic_store(&shard->table->progress->state, PROGRESS_COPYING);
            rc = copy_shard_retrying(w, shard);
        } else {
            rc = finish_table(w, finish);
        }
        if (rc) {
            w->rc = rc;
            fail_run(run, rc);
        }
        task_done(run, rc ? NULL : shard);
        pthread_mutex_lock(&run->mu);
    }
    pthread_mutex_unlock(&run->mu);
    return NULL;
}

/* The worker takes its source session, which joined the snapshot before it was released, and opens a target one. */
static GwResult
worker_connect(Worker *w)
{
    FetchRun *run = w->run;
    w->source = run->worker_sources[w->id - 1];
    run->worker_sources[w->id - 1] = NULL;
    return engine_connect(&run->target_ep, &w->target);
}

GwResult
fetch_run_workers(FetchRun *run)
{
    int n = run->nworkers;
    Worker *workers = gw_calloc((size_t) n, sizeof *workers);
    pthread_mutex_init(&run->mu, NULL);
    pthread_cond_init(&run->cv, NULL);
    for (size_t i = 0; i < run->ntables; i++)
        if (run->tables[i].shards_left == 0)
            queue_finish(run, &run->tables[i]);

    /* Every worker connects before any starts. */
    GwResult rc = GW_OK;
    for (int i = 0; i < n && rc == GW_OK; i++) {
        workers[i].run = run;
        workers[i].id = i + 1;
        rc = worker_connect(&workers[i]);
    }
    int started = 0;
    for (int i = 0; i < n && rc == GW_OK; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            log_error("cannot start worker thread %d", i + 1);
            fail_run(run, GW_ERR_INTERNAL);
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    for (int i = 0; i < n; i++) {
        engine_close(workers[i].source);
        engine_close(workers[i].target);
    }
    free(workers);
    pthread_mutex_destroy(&run->mu);
    pthread_cond_destroy(&run->cv);
    if (rc == GW_OK)
        rc = (GwResult) atomic_load(&run->failed);
    /* flow_fetch says what was kept and how to go on. */
    if (rc == GW_OK && signals_stop_requested())
        rc = GW_ERR_INTERNAL;
    return rc;
}
