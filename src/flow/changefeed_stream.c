/*
 * changefeed_stream.c: staged changefeed changes as a change stream
 * (changefeed_stream.h).
 */
#include "flow/changefeed_stream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/changefeed_change.h"
#include "core/jsonv.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/signals.h"

/* Staged changes read per query while an interval is delivered. */
#define CHANGEFEED_PAGE 500

struct ChangeStream {
    EngineConn *conn;           /* reads staging while the writer's transaction is open */
    const EngineOps *ops;
    char *staging_key;
    char *phase;
    ChangefeedInbox *inbox;
    ChangefeedTable *tables;
    size_t ntables;
    ChangefeedChange change;
    Hlc delivered;              /* the last resolved timestamp whose COMMIT was delivered */
    bool in_interval;
    bool page_full;             /* the last page read was full: more may follow */
    Hlc upto;                   /* the interval being delivered ends here */
    Hlc from;                   /* (from, from_seq): the last staged change delivered */
    int64_t from_seq;
    StagedChange *rows;
    size_t nrows, next_row;
    uint64_t bytes;
    Metric *m_applied;
};

/* ------------------------------------------------------------------ inbox */

void
changefeed_inbox_init(ChangefeedInbox *in)
{
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
    in->started = progress_now();
}

void
changefeed_inbox_free(ChangefeedInbox *in)
{
    pthread_cond_destroy(&in->cv);
    pthread_mutex_destroy(&in->mu);
}

void
changefeed_inbox_request(ChangefeedInbox *in)
{
    pthread_mutex_lock(&in->mu);
    in->last_request = progress_now();
    pthread_mutex_unlock(&in->mu);
}

void
changefeed_inbox_resolved(ChangefeedInbox *in)
{
    pthread_mutex_lock(&in->mu);
    in->news = true;
    pthread_cond_signal(&in->cv);
    pthread_mutex_unlock(&in->mu);
}

Hlc
changefeed_inbox_applied(ChangefeedInbox *in)
{
    pthread_mutex_lock(&in->mu);
    Hlc h = in->applied;
    pthread_mutex_unlock(&in->mu);
    return h;
}

bool
changefeed_inbox_quiet(ChangefeedInbox *in)
{
    pthread_mutex_lock(&in->mu);
    double last = in->last_request > in->started ? in->last_request : in->started;
    bool news = in->news;
    pthread_mutex_unlock(&in->mu);
    return !news && progress_now() - last >= CHANGEFEED_QUIET_SECONDS;
}

/* Takes the news, if any: the stream is about to look at staging. */
static void
inbox_take_news(ChangefeedInbox *in)
{
    pthread_mutex_lock(&in->mu);
    in->news = false;
    pthread_mutex_unlock(&in->mu);
}

/* Waits for a resolved timestamp from the webhook, a stop request or timeout_ms. */
static void
inbox_wait(ChangefeedInbox *in, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long) timeout_ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&in->mu);
    while (!in->news && !signals_stop_requested())
        if (pthread_cond_timedwait(&in->cv, &in->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&in->mu);
}

/* ------------------------------------------------------------------ positions */

StreamPos
changefeed_pos(Hlc h)
{
    return ((StreamPos) (uint64_t) h.wall << 64) | (uint64_t) h.logical;
}

Hlc
changefeed_hlc(StreamPos pos)
{
    return (Hlc) {.wall = (int64_t) (uint64_t) (pos >> 64), .logical = (int64_t) (uint64_t) pos};
}

static int
parse_pos(const char *text, StreamPos *out)
{
    Hlc h;
    if (!text || !hlc_parse(text, strlen(text), &h))
        return -1;
    *out = changefeed_pos(h);
    return 0;
}

static void
format_pos(StreamPos pos, char *buf, size_t len)
{
    hlc_format(changefeed_hlc(pos), buf, len);
}

/* The stream's clock (microseconds since 2000-01-01) of a timestamp: its commit time, for lag. */
static int64_t
commit_time(Hlc h)
{
    return h.wall / 1000 - CHANGE_EPOCH_OFFSET_S * 1000000;
}

/* ------------------------------------------------------------------ reading staging */

static void
free_rows(ChangeStream *s)
{
    for (size_t i = 0; i < s->nrows; i++)
        staged_change_free(&s->rows[i]);
    free(s->rows);
    s->rows = NULL;
    s->nrows = s->next_row = 0;
}

static const ChangefeedTable *
table_named(const ChangeStream *s, const char *schema, const char *name)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (!strcmp(s->tables[i].def->schema, schema) && !strcmp(s->tables[i].def->name, name))
            return &s->tables[i];
    return NULL;
}

/* A staged row as a Change of its table; an error needs the operator: nothing after it can be applied. */
static GwResult
build_change(ChangeStream *s, const StagedChange *row, Change *out)
{
    char when[HLC_TEXT_LEN];
    hlc_format(row->updated, when, sizeof when);
    const ChangefeedTable *t = table_named(s, row->schema, row->table);
    JsonvDoc key, after, before;
    memset(&key, 0, sizeof key);
    memset(&after, 0, sizeof after);
    memset(&before, 0, sizeof before);
    char err[512] = "";
    bool ok = t && jsonv_parse(row->key, strlen(row->key), &key, err, sizeof err) &&
              jsonv_parse(row->after, strlen(row->after), &after, err, sizeof err) &&
              (!row->before || jsonv_parse(row->before, strlen(row->before), &before, err, sizeof err));
    GwResult rc = GW_OK;
    if (!ok) {
        log_error("phase '%s': a staged change of %s.%s at %s cannot be read: %s", s->phase, row->schema,
                  row->table, when, t ? err : "not a table of the phase");
        rc = GW_ERR_SOURCE;
    } else if (!changefeed_change_build(&s->change, t, key.root, after.root, row->before ? before.root : NULL, err,
                                        sizeof err)) {
        log_error("phase '%s': the change at %s cannot be applied to the source: %s; nothing after %s is applied"
                  " until it can", s->phase, when, err, when);
        rc = GW_ERR_SOURCE;
    } else {
        *out = s->change.change;
        s->bytes += strlen(row->key) + strlen(row->after) + (row->before ? strlen(row->before) : 0);
    }
    jsonv_free(&key);
    jsonv_free(&after);
    jsonv_free(&before);
    return rc;
}

static GwResult
read_page(ChangeStream *s)
{
    free_rows(s);
    GwResult rc = s->ops->staging->staging_read(s->conn, s->staging_key, s->from, s->from_seq, s->upto, CHANGEFEED_PAGE,
                                       &s->rows, &s->nrows);
    s->page_full = rc == GW_OK && s->nrows == CHANGEFEED_PAGE;
    if (rc == GW_OK && s->nrows > 0) {
        s->from = s->rows[s->nrows - 1].updated;
        s->from_seq = s->rows[s->nrows - 1].seq;
    }
    return rc;
}

/* The next resolved timestamp, as a BEGIN; IDLE (after waiting for news up to timeout_ms) when none is staged. */
static GwResult
begin_interval(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *ch)
{
    inbox_take_news(s->inbox);
    Hlc next;
    bool found;
    GwResult rc = s->ops->staging->staging_next_resolved(s->conn, s->staging_key, s->delivered, &next, &found);
    if (rc)
        return rc;
    if (!found) {
        inbox_wait(s->inbox, timeout_ms);
        *ev = STREAM_IDLE;
        return GW_OK;
    }
    s->in_interval = true;
    s->upto = next;
    s->from = s->delivered;
    s->from_seq = INT64_MAX;
    s->page_full = true;
    StreamPos pos = changefeed_pos(next);
    *ch = (Change) {.kind = CHANGE_BEGIN, .commit_pos = pos, .end_pos = pos, .commit_time = commit_time(next)};
    *ev = STREAM_CHANGE;
    return GW_OK;
}

static GwResult
next(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *ch)
{
    if (!s->in_interval)
        return begin_interval(s, timeout_ms, ev, ch);
    GwResult rc = GW_OK;
    if (s->next_row == s->nrows && s->page_full)
        rc = read_page(s);
    if (rc)
        return rc;
    *ev = STREAM_CHANGE;
    if (s->next_row < s->nrows)
        return build_change(s, &s->rows[s->next_row++], ch);
    free_rows(s);
    s->in_interval = false;
    s->delivered = s->upto;
    StreamPos pos = changefeed_pos(s->upto);
    *ch = (Change) {.kind = CHANGE_COMMIT, .commit_pos = pos, .end_pos = pos, .commit_time = commit_time(s->upto)};
    return GW_OK;
}

/* What the writer committed: redeliveries of it need not be staged again. */
static GwResult
confirm(ChangeStream *s, StreamPos applied, bool request_reply)
{
    (void) request_reply;
    pthread_mutex_lock(&s->inbox->mu);
    Hlc h = changefeed_hlc(applied);
    if (hlc_compare(h, s->inbox->applied) > 0)
        s->inbox->applied = h;
    pthread_mutex_unlock(&s->inbox->mu);
    metrics_set(s->m_applied, (double) h.wall / 1e9);
    return GW_OK;
}

static StreamPos
sent_pos(ChangeStream *s)
{
    return changefeed_pos(s->delivered);
}

static uint64_t
bytes(ChangeStream *s)
{
    return s->bytes;
}

static GwResult
seal(ChangeStream *s, EngineConn *writer, StreamPos upto)
{
    return s->ops->staging->staging_discard(writer, s->staging_key, changefeed_hlc(upto));
}

static void
close_stream(ChangeStream *s)
{
    if (!s)
        return;
    free_rows(s);
    for (size_t i = 0; i < s->ntables; i++)
        changefeed_table_free(&s->tables[i]);
    free(s->tables);
    changefeed_change_free(&s->change);
    engine_close(s->conn);
    free(s->staging_key);
    free(s->phase);
    free(s);
}

const StreamReader changefeed_stream_reader = {
    .next = next,
    .confirm = confirm,
    .sent_pos = sent_pos,
    .bytes = bytes,
    .close = close_stream,
    .parse_pos = parse_pos,
    .format_pos = format_pos,
    .seal = seal,
};

bool
changefeed_stream_transient(ChangeStream *s)
{
    /* No connection: the source could not be reached, as after any lost connection. */
    return s && (!s->conn || s->ops->error_is_transient(s->conn));
}

GwResult
changefeed_stream_open(const Endpoint *source, const char *staging_key, const char *phase, const Catalog *catalog,
                       ChangefeedInbox *inbox, StreamPos start, ChangeStream **out)
{
    ChangeStream *s = gw_calloc(1, sizeof *s);
    s->staging_key = gw_strdup(staging_key);
    s->phase = gw_strdup(phase);
    s->inbox = inbox;
    s->delivered = changefeed_hlc(start);
    s->m_applied = metrics_series("godwit_changefeed_applied_seconds", "Wall time of the checkpoint", METRIC_GAUGE,
                                  NULL, NULL);
    changefeed_change_init(&s->change);
    s->tables = gw_calloc(catalog->ntables + 1, sizeof *s->tables);
    for (size_t i = 0; i < catalog->ntables; i++)
        changefeed_table_init(&s->tables[s->ntables++], catalog, &catalog->tables[i], (uint32_t) i + 1);
    confirm(s, start, false);
    GwResult rc = engine_connect(source, &s->conn);
    if (rc == GW_OK) {
        s->ops = s->conn->ops;
        rc = s->ops->staging->staging_init(s->conn);
    }
    *out = s;
    return rc;
}
