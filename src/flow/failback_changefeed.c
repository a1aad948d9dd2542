/*
 * failback_changefeed.c: failback from CockroachDB through a changefeed
 * webhook (see failback_changefeed.h; DESIGN.md, "CockroachDB specifics").
 *
 * Two threads share the work.  libmicrohttpd's thread receives a batch,
 * stages it on the source over a connection of its own and only then
 * answers 200; a resolved timestamp is recorded the same way.  The main
 * thread applies: for the earliest resolved timestamp R after the
 * checkpoint C, every staged change with C < updated <= R, in (updated,
 * arrival) order, through the phase filter exactly as `replicate` does, in
 * one source transaction that removes those staged rows and writes R as the
 * checkpoint.  CockroachDB sends R only once every change at or before it
 * was acknowledged, so that interval is complete; and since staging and the
 * checkpoint live in the same database, a crash anywhere re-applies nothing
 * and loses nothing: what was committed is gone from staging, what was not
 * is still there.  Redeliveries (at-least-once) are the same staged row, or
 * at or before the checkpoint and skipped.
 *
 * Loop prevention is the writer's: the source's apply session carries the
 * stream's replication origin (core/phase_names.h), as for slot-based failback.
 * The source must be PostgreSQL for now (staging is not written for MySQL).
 */
#include "flow/failback_changefeed.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/changefeed_change.h"
#include "core/jsonv.h"
#include "core/selection.h"
#include "flow/change_filter.h"
#include "flow/migration.h"
#include "flow/runner_lock.h"
#include "http/changefeed_webhook.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/signals.h"
#include "util/retry.h"
#include "util/sleep.h"

/* Staged changes read per query while an interval is applied. */
#define CHANGEFEED_PAGE 500
/* Seconds between progress log lines. */
#define CHANGEFEED_LOG_INTERVAL 10.0
/* Longest wait for news from the webhook before looking at staging again. */
#define CHANGEFEED_POLL_MS 500
/* How often the applier makes sure it still holds the stream's runner lock. */
#define CHANGEFEED_LOCK_CHECK_S 1.0
/* Largest token file read. */
#define CHANGEFEED_MAX_TOKEN 4096

typedef struct CfTable {
    ChangefeedTable t;
    const Predicate *predicate;
    char *qualified;            /* "schema.table", as topics name it */
    Metric *changes;
} CfTable;

typedef struct CfMetrics {
    Metric *staged;
    Metric *txns;
    Metric *resolved;
    Metric *applied;
    Metric *lag;
    Metric *last_apply;
} CfMetrics;

typedef struct Failback {
    const ReplicateOptions *opts;
    char *token;
    Endpoint source_ep;
    Endpoint target_ep;
    EngineConn *writer;         /* applies, with the checkpoint */
    EngineConn *reader;         /* reads staging while the writer's transaction is open */
    EngineConn *stager;         /* the webhook thread's, opened on its first request */
    RunnerLock lock;            /* this process is the stream's only runner while it holds it */
    const EngineOps *ops;       /* the source's */
    PhaseState phase;
    Catalog catalog;            /* the source's tables of the phase */
    Selection filters;
    CfTable *tables;
    size_t ntables;
    char *stream_name;
    MigrationPhase mp;          /* names of the phase's stream, sessions and staging (core/phase_names.h) */
    char *staging_key;          /* the phase's staged rows on the source */
    ChangefeedChange change;
    Webhook *webhook;
    size_t max_body;
    bool fatal;                 /* the last error needs the operator, not a reconnect */
    double last_log;
    double last_lock_check;
    long long txns, changes;
    CfMetrics m;
    /* Shared with the webhook thread. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Hlc applied;                /* the checkpoint */
    double last_request;        /* progress_now() of the last request */
    bool news;                  /* a resolved timestamp arrived since the main thread last looked */
    long long staged;
} Failback;

/* ------------------------------------------------------------------ options */

static char *
read_token_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("--token-file %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        log_warn("--token-file %s can be read by other users; chmod 600 it", path);
    char buf[CHANGEFEED_MAX_TOKEN + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n == 0 || n > CHANGEFEED_MAX_TOKEN || memchr(buf, '\n', n) || memchr(buf, '\0', n)) {
        log_error("--token-file %s: expected one line holding the token (at most %d bytes)", path,
                  CHANGEFEED_MAX_TOKEN);
        return NULL;
    }
    return gw_strndup(buf, n);
}

/* The bearer token from --token-file or GODWIT_WEBHOOK_TOKEN; *source names where it came from. */
static GwResult
load_token(const ReplicateOptions *opts, char **token, const char **source)
{
    *token = NULL;
    *source = NULL;
    const char *env = getenv("GODWIT_WEBHOOK_TOKEN");
    if (opts->token_file) {
        *token = read_token_file(opts->token_file);
        *source = "--token-file";
        return *token ? GW_OK : GW_ERR_USAGE;
    }
    if (env && *env) {
        *token = gw_strdup(env);
        *source = "GODWIT_WEBHOOK_TOKEN";
    }
    return GW_OK;
}

GwResult
failback_changefeed_check(const ReplicateOptions *opts, const EngineConn *source)
{
    if (!source->ops->staging_put) {
        log_error("source %s (%s): failback through a changefeed is not supported yet for this source (PostgreSQL"
                  " only)", source->endpoint->redacted, source->ops->name);
        return GW_ERR_USAGE;
    }
    return failback_changefeed_check_options(opts);
}

GwResult
failback_changefeed_check_options(const ReplicateOptions *opts)
{
    const char *missing = !opts->listen_addr ? "--listen HOST:PORT" : !opts->tls_cert_file ? "--tls-cert FILE"
                          : !opts->tls_key_file ? "--tls-key FILE" : NULL;
    if (missing) {
        log_error("failback through a changefeed webhook needs %s (the HTTPS endpoint the changefeed posts to)",
                  missing);
        return GW_ERR_USAGE;
    }
    const char *files[3][2] = {{"--tls-cert", opts->tls_cert_file}, {"--tls-key", opts->tls_key_file},
                               {"--tls-client-ca", opts->tls_client_ca_file}};
    for (int i = 0; i < 3; i++)
        if (files[i][1] && access(files[i][1], R_OK) != 0) {
            log_error("%s %s: %s", files[i][0], files[i][1], strerror(errno));
            return GW_ERR_USAGE;
        }
    char *token;
    const char *token_source;
    GwResult rc = load_token(opts, &token, &token_source);
    if (rc)
        return rc;
    if (!token && !opts->tls_client_ca_file) {
        log_error("the changefeed webhook needs a bearer token (--token-file FILE or GODWIT_WEBHOOK_TOKEN) or client"
                  " certificates (--tls-client-ca FILE): anyone reaching it could write to the source otherwise");
        rc = GW_ERR_USAGE;
    } else if (opts->create_changefeed && opts->tls_client_ca_file) {
        log_error("--create-changefeed cannot give CockroachDB a client certificate: run the printed statement"
                  " by hand with the certificate filled in");
        rc = GW_ERR_USAGE;
    }
    free(token);
    return rc;
}

/* ------------------------------------------------------------------ prepared by cutover */

GwResult
failback_changefeed_prepare(EngineConn *target, PhaseState *phase)
{
    const EngineOps *ops = target->ops;
    if (!ops->changefeed_cursor) {
        log_error("target %s (%s): failback through a changefeed needs CockroachDB", target->endpoint->redacted,
                  ops->name);
        return GW_ERR_USAGE;
    }
    Hlc cursor;
    bool exact;
    GwResult rc = ops->changefeed_cursor(target, &cursor, &exact);
    if (rc)
        return rc;
    char text[HLC_TEXT_LEN];
    hlc_format(cursor, text, sizeof text);
    if (!exact)
        log_warn("target %s is not CockroachDB: the changefeed cursor %s is a placeholder made from its clock (a"
                 " stand-in for tests; no changefeed can run there)", target->endpoint->redacted, text);
    free(phase->status);
    phase->status = gw_strdup(PHASE_FAILBACK);
    free(phase->failback_position);
    phase->failback_position = gw_strdup(text);
    free(phase->handoff_position);
    phase->handoff_position = NULL;
    rc = ops->state_put_phase(target, phase);
    if (rc)
        return rc;
    json_t *detail = json_pack("{s:s, s:s}", "position", text, "via", "changefeed");
    char *json = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    rc = ops->state_add_event(target, phase->name, "failback_prepared", json);
    free(json);
    if (rc == GW_OK)
        log_info("phase '%s': failback prepared; the changefeed sends the target's changes after %s", phase->name,
                 text);
    return rc;
}

/* ------------------------------------------------------------------ setup */

static void
metrics_init(CfMetrics *m)
{
    m->staged = metrics_series("godwit_changefeed_rows_staged_total", "Changefeed rows staged on the source",
                               METRIC_COUNTER, NULL, NULL);
    m->txns = metrics_series("godwit_transactions_applied_total", "Resolved intervals applied", METRIC_COUNTER, NULL,
                             NULL);
    m->resolved = metrics_series("godwit_changefeed_resolved_seconds", "Wall time of the last resolved timestamp",
                                 METRIC_GAUGE, NULL, NULL);
    m->applied = metrics_series("godwit_changefeed_applied_seconds", "Wall time of the checkpoint", METRIC_GAUGE,
                                NULL, NULL);
    m->lag = metrics_series("godwit_lag_seconds", "Age of the checkpoint's timestamp when it was written",
                            METRIC_GAUGE, NULL, NULL);
    m->last_apply = metrics_series("godwit_last_apply_timestamp_seconds", "Unix time of the last source commit",
                                   METRIC_GAUGE, NULL, NULL);
}

static bool
hlc_text_parse(const char *text, Hlc *out)
{
    return text && hlc_parse(text, strlen(text), out);
}

/* The phase's state on the target: prepared for a changefeed, with its tables and filters. */
static GwResult
load_phase(Failback *f, EngineConn *target, Selection *tables)
{
    bool found;
    GwResult rc = target->ops->state_get_phase(target, f->opts->phase, &f->phase, &found);
    if (rc)
        return rc;
    Hlc pos;
    if (!found || strcmp(f->phase.status, PHASE_FAILBACK) != 0 || f->phase.failback_slot ||
        !hlc_text_parse(f->phase.failback_position, &pos)) {
        log_error("phase '%s' is not prepared for failback through a changefeed on target %s%s", f->opts->phase,
                  f->target_ep.redacted,
                  found && f->phase.failback_slot ? " (it fails back through a replication slot: run failback"
                                                    " without --changefeed)" : "");
        return GW_ERR_USAGE;
    }
    char err[512];
    if (selection_add_filters_json(&f->filters, f->phase.filters, err, sizeof err) != GW_OK) {
        log_error("phase '%s': %s", f->opts->phase, err);
        return GW_ERR_TARGET;
    }
    ShardProgress *shards = NULL;
    int nshards = 0;
    rc = target->ops->state_get_shards(target, f->phase.name, &shards, &nshards);
    for (int i = 0; rc == GW_OK && i < nshards; i++)
        selection_add_table(tables, shards[i].schema, shards[i].table);
    for (int i = 0; i < nshards; i++)
        shard_progress_free(&shards[i]);
    free(shards);
    return rc;
}

/* The phase's tables as the source has them, ready to take changefeed rows. */
static GwResult
load_tables(Failback *f, Selection *tables)
{
    GwResult rc = f->ops->describe(f->writer, tables, &f->catalog);
    if (rc)
        return rc;
    f->tables = gw_calloc(f->catalog.ntables + 1, sizeof *f->tables);
    for (size_t i = 0; i < f->catalog.ntables; i++) {
        const TableDef *def = &f->catalog.tables[i];
        CfTable *t = &f->tables[f->ntables++];
        changefeed_table_init(&t->t, &f->catalog, def, (uint32_t) i + 1);
        t->qualified = table_display_name(def);
        const RowFilter *rf = selection_filter_for(&f->filters, def->schema, def->name);
        t->predicate = rf ? rf->predicate : NULL;
        t->changes = metrics_series("godwit_changes_applied_total", "Row changes applied, per table", METRIC_COUNTER,
                                    "table", t->qualified);
    }
    if (f->ntables == 0) {
        log_error("phase '%s' has no tables on source %s", f->opts->phase, f->source_ep.redacted);
        return GW_ERR_SOURCE;
    }
    return GW_OK;
}

/* The source's connections of the applier; the webhook thread opens its own. */
static GwResult
connect_source(Failback *f, bool first)
{
    /* The lock first, also after a lost connection: a second runner is refused before it touches anything. */
    GwResult rc = runner_lock_hold(&f->lock);
    if (rc == GW_OK)
        rc = engine_connect(&f->source_ep, &f->writer);
    if (rc)
        return rc;
    f->ops = f->writer->ops;
    if (!f->ops->staging_put) {
        log_error("source %s (%s): failback through a changefeed is not supported yet for this source (PostgreSQL"
                  " only)", f->source_ep.redacted, f->ops->name);
        f->fatal = true;
        return GW_ERR_USAGE;
    }
    /* A killed run's sessions go first: their open transactions hold what this one needs. */
    if (first)
        rc = f->ops->end_stale_sessions(f->writer);
    if (rc == GW_OK)
        rc = f->ops->staging_init(f->writer);
    if (rc == GW_OK)
        rc = engine_connect(&f->source_ep, &f->reader);
    if (rc == GW_OK)
        rc = f->ops->staging_init(f->reader);
    if (rc == GW_OK)
        rc = f->ops->apply_setup(f->writer, f->stream_name);
    return rc;
}

static void
disconnect_source(Failback *f)
{
    if (f->writer)
        f->ops->apply_abort(f->writer);
    engine_close(f->writer);
    engine_close(f->reader);
    f->writer = f->reader = NULL;
}

/* The checkpoint, or the failback position before the first interval. */
static GwResult
load_checkpoint(Failback *f)
{
    char *pos = NULL;
    bool found;
    GwResult rc = f->ops->checkpoint_get(f->writer, f->stream_name, &pos, &found);
    if (rc)
        return rc;
    const char *text = found ? pos : f->phase.failback_position;
    Hlc h;
    if (!hlc_text_parse(text, &h)) {
        log_error("phase '%s': checkpoint '%s' on source %s is not a changefeed timestamp (the phase failed back"
                  " through a slot before?)", f->phase.name, text ? text : "", f->source_ep.redacted);
        rc = GW_ERR_SOURCE;
    } else {
        pthread_mutex_lock(&f->mu);
        f->applied = h;
        pthread_mutex_unlock(&f->mu);
        log_info("phase '%s': %s %s", f->phase.name, found ? "resuming from checkpoint" : "starting from the cursor",
                 text);
    }
    free(pos);
    return rc;
}

/* HOST:PORT of --listen as the changefeed reaches it (a wildcard host is this machine's name). */
static void
listen_host_port(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    snprintf(host, hostlen, "%.*s", colon ? (int) (colon - listen) : 0, listen);
    *port = colon ? atoi(colon + 1) : 0;
    if (!strcmp(host, "0.0.0.0") || !*host) {
        if (gethostname(host, hostlen) != 0)
            snprintf(host, hostlen, "localhost");
        host[hostlen - 1] = '\0';
    }
}

/*
 * The certificates of --tls-cert (PEM), for the changefeed to trust: only
 * the CERTIFICATE blocks, so that a file that also holds the private key
 * never has it printed.  NULL if there are none.
 */
static char *
read_certificates(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    StrBuf all;
    strbuf_init(&all);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0 && all.len < 1024 * 1024)
        strbuf_append_n(&all, buf, n);
    fclose(fp);
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    StrBuf certs;
    strbuf_init(&certs);
    for (const char *p = all.data ? strstr(all.data, begin) : NULL; p; p = strstr(p, begin)) {
        const char *e = strstr(p, end);
        if (!e)
            break;
        e += strlen(end);
        strbuf_append_n(&certs, p, (size_t) (e - p));
        strbuf_append_char(&certs, '\n');
        p = e;
    }
    strbuf_free(&all);
    if (certs.len == 0) {
        strbuf_free(&certs);
        return NULL;
    }
    return strbuf_take(&certs);
}

/* Prints the statement for the target (stdout); with --create-changefeed also runs it there. */
static GwResult
changefeed_statement(Failback *f, EngineConn *target, const char *token_source)
{
    char host[256];
    int port;
    listen_host_port(f->opts->listen_addr, host, sizeof host, &port);
    const TableDef **defs = gw_calloc(f->ntables + 1, sizeof *defs);
    for (size_t i = 0; i < f->ntables; i++)
        defs[i] = f->tables[i].t.def;
    char *cert = read_certificates(f->opts->tls_cert_file);
    pthread_mutex_lock(&f->mu);
    Hlc cursor = f->applied;
    pthread_mutex_unlock(&f->mu);
    ChangefeedSpec spec = {
        .tables = defs, .ntables = f->ntables, .host = host, .port = port, .phase = f->phase.name,
        .cursor = cursor, .ca_cert_pem = cert, .client_cert = f->opts->tls_client_ca_file != NULL,
        .token_source = f->token ? token_source : NULL, .flush_bytes = f->max_body / 4,
    };
    char *shown = failback_changefeed_sql(&spec);
    printf("-- Run on the CockroachDB target%s:\n%s\n", strchr(shown, '<') ? " (fill in the <...> placeholders)" : "",
           shown);
    fflush(stdout);
    free(shown);
    GwResult rc = GW_OK;
    if (f->opts->create_changefeed) {
        spec.token = f->token;
        char *sql = failback_changefeed_sql(&spec);
        char *job = NULL;
        rc = target->ops->changefeed_create ? target->ops->changefeed_create(target, sql, &job) : GW_ERR_USAGE;
        if (rc == GW_OK)
            log_info("phase '%s': changefeed job %s created on target %s", f->phase.name, job, f->target_ep.redacted);
        free(job);
        free(sql);
    }
    free(cert);
    free(defs);
    return rc;
}

/* ------------------------------------------------------------------ webhook thread */

/* The phase table a topic names: "schema.table", "database.schema.table", or a name only one table has. */
static const CfTable *
table_for_topic(const Failback *f, const char *topic)
{
    const CfTable *by_name = NULL;
    int named = 0;
    size_t tl = strlen(topic);
    for (size_t i = 0; i < f->ntables; i++) {
        const CfTable *t = &f->tables[i];
        size_t ql = strlen(t->qualified);
        if (!strcmp(topic, t->qualified) || (tl > ql && topic[tl - ql - 1] == '.' && !strcmp(topic + tl - ql, t->qualified)))
            return t;
        if (!strcmp(topic, t->t.def->name)) {
            by_name = t;
            named++;
        }
    }
    return named == 1 ? by_name : NULL;
}

static char *
json_text(const JsonvNode *v)
{
    StrBuf sb;
    strbuf_init(&sb);
    jsonv_write(v, &sb);
    return strbuf_take(&sb);
}

static WebhookVerdict
stage_rows(Failback *f, const ChangefeedMessage *m, char *why, size_t whylen)
{
    pthread_mutex_lock(&f->mu);
    Hlc applied = f->applied;
    pthread_mutex_unlock(&f->mu);
    StagedChange *rows = gw_calloc(m->nrows + 1, sizeof *rows);
    size_t n = 0;
    WebhookVerdict v = WEBHOOK_STAGED;
    for (size_t i = 0; i < m->nrows; i++) {
        const ChangefeedRow *r = &m->rows[i];
        const CfTable *t = table_for_topic(f, r->topic);
        if (!t) {
            snprintf(why, whylen, "payload[%zu]: topic \"%s\" is not a table of phase '%s'", i, r->topic,
                     f->phase.name);
            v = WEBHOOK_REFUSED;
            break;
        }
        /* At or before the checkpoint: a redelivery of what is applied already. */
        if (hlc_compare(r->updated, applied) <= 0)
            continue;
        StagedChange *s = &rows[n++];
        s->schema = gw_strdup(t->t.def->schema);
        s->table = gw_strdup(t->t.def->name);
        s->key = json_text(r->key);
        s->updated = r->updated;
        s->after = json_text(r->after);
        s->before = r->before ? json_text(r->before) : NULL;
    }
    if (v == WEBHOOK_STAGED && n > 0 && f->ops->staging_put(f->stager, f->staging_key, rows, n) != GW_OK)
        v = WEBHOOK_UNAVAILABLE;
    if (v == WEBHOOK_STAGED) {
        pthread_mutex_lock(&f->mu);
        f->staged += (long long) n;
        pthread_mutex_unlock(&f->mu);
        metrics_add(f->m.staged, (double) n);
        log_debug("webhook: staged %zu of %zu row(s)", n, m->nrows);
    }
    for (size_t i = 0; i < n; i++)
        staged_change_free(&rows[i]);
    free(rows);
    return v;
}

static WebhookVerdict
deliver(void *ctx, const ChangefeedMessage *m, char *why, size_t whylen)
{
    Failback *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->last_request = progress_now();
    pthread_mutex_unlock(&f->mu);
    if (!f->stager) {
        if (engine_connect(&f->source_ep, &f->stager) != GW_OK)
            return WEBHOOK_UNAVAILABLE;
        if (f->stager->ops->staging_init(f->stager) != GW_OK) {
            engine_close(f->stager);
            f->stager = NULL;
            return WEBHOOK_UNAVAILABLE;
        }
    }
    WebhookVerdict v;
    pthread_mutex_lock(&f->mu);
    bool stale = m->is_resolved && hlc_compare(m->resolved, f->applied) <= 0;
    pthread_mutex_unlock(&f->mu);
    if (stale) {
        /* At or before the checkpoint: applied already, nothing to record. */
        v = WEBHOOK_STAGED;
    } else if (m->is_resolved) {
        v = f->ops->staging_resolve(f->stager, f->staging_key, m->resolved) == GW_OK ? WEBHOOK_STAGED
                                                                                    : WEBHOOK_UNAVAILABLE;
        if (v == WEBHOOK_STAGED) {
            pthread_mutex_lock(&f->mu);
            f->news = true;
            pthread_cond_signal(&f->cv);
            pthread_mutex_unlock(&f->mu);
            metrics_set(f->m.resolved, (double) m->resolved.wall / 1e9);
            char text[HLC_TEXT_LEN];
            hlc_format(m->resolved, text, sizeof text);
            log_debug("webhook: resolved %s", text);
        }
    } else {
        v = stage_rows(f, m, why, whylen);
    }
    /* A failed connection is opened again by the next request. */
    if (v == WEBHOOK_UNAVAILABLE) {
        engine_close(f->stager);
        f->stager = NULL;
    }
    return v;
}

/* ------------------------------------------------------------------ applier */

static const CfTable *
table_named(const Failback *f, const char *schema, const char *name)
{
    for (size_t i = 0; i < f->ntables; i++)
        if (!strcmp(f->tables[i].t.def->schema, schema) && !strcmp(f->tables[i].t.def->name, name))
            return &f->tables[i];
    return NULL;
}

/* A change through the phase filter, then to the writer. */
static GwResult
apply_filtered(Failback *f, const CfTable *t, const Change *ch)
{
    Change rewritten;
    bool skip;
    GwResult rc = change_filter_rewrite(t->predicate, &f->catalog, t->t.def, ch, &rewritten, &skip);
    if (rc || skip)
        return rc;
    f->changes++;
    metrics_add(t->changes, 1);
    return f->ops->apply_change(f->writer, &rewritten, t->t.def);
}

static GwResult
apply_staged(Failback *f, const StagedChange *s)
{
    char when[HLC_TEXT_LEN];
    hlc_format(s->updated, when, sizeof when);
    const CfTable *t = table_named(f, s->schema, s->table);
    JsonvDoc key, after, before;
    memset(&before, 0, sizeof before);
    char err[512] = "";
    bool ok = t && jsonv_parse(s->key, strlen(s->key), &key, err, sizeof err);
    if (ok && !jsonv_parse(s->after, strlen(s->after), &after, err, sizeof err)) {
        jsonv_free(&key);
        ok = false;
    }
    if (ok && s->before && !jsonv_parse(s->before, strlen(s->before), &before, err, sizeof err)) {
        jsonv_free(&key);
        jsonv_free(&after);
        ok = false;
    }
    if (!ok) {
        log_error("phase '%s': a staged change of %s.%s at %s cannot be read: %s", f->phase.name, s->schema, s->table,
                  when, t ? err : "not a table of the phase");
        f->fatal = true;
        return GW_ERR_SOURCE;
    }
    GwResult rc = GW_OK;
    if (!changefeed_change_build(&f->change, &t->t, key.root, after.root, s->before ? before.root : NULL, err,
                                 sizeof err)) {
        log_error("phase '%s': the change at %s cannot be applied to the source: %s; nothing after %s is applied"
                  " until it can", f->phase.name, when, err, when);
        f->fatal = true;
        rc = GW_ERR_SOURCE;
    } else {
        rc = apply_filtered(f, t, &f->change.change);
    }
    jsonv_free(&key);
    jsonv_free(&after);
    jsonv_free(&before);
    return rc;
}

/* Every staged change after the checkpoint and at or before upto, in one source transaction with upto as checkpoint. */
static GwResult
apply_interval(Failback *f, Hlc upto)
{
    pthread_mutex_lock(&f->mu);
    Hlc from = f->applied;
    pthread_mutex_unlock(&f->mu);
    int64_t from_seq = INT64_MAX;
    GwResult rc = GW_OK;
    long long before = f->changes;
    size_t n;
    do {
        StagedChange *rows = NULL;
        n = 0;
        rc = f->ops->staging_read(f->reader, f->staging_key, from, from_seq, upto, CHANGEFEED_PAGE, &rows, &n);
        for (size_t i = 0; rc == GW_OK && i < n; i++)
            rc = apply_staged(f, &rows[i]);
        if (n > 0) {
            from = rows[n - 1].updated;
            from_seq = rows[n - 1].seq;
        }
        for (size_t i = 0; i < n; i++)
            staged_change_free(&rows[i]);
        free(rows);
    } while (rc == GW_OK && n == CHANGEFEED_PAGE);
    char text[HLC_TEXT_LEN];
    hlc_format(upto, text, sizeof text);
    if (rc == GW_OK)
        rc = f->ops->staging_discard(f->writer, f->staging_key, upto);
    if (rc == GW_OK)
        rc = f->ops->apply_commit(f->writer, f->stream_name, f->phase.name, text);
    if (rc) {
        f->ops->apply_abort(f->writer);
        return rc;
    }
    pthread_mutex_lock(&f->mu);
    f->applied = upto;
    pthread_mutex_unlock(&f->mu);
    f->txns++;
    metrics_add(f->m.txns, 1);
    metrics_set(f->m.applied, (double) upto.wall / 1e9);
    metrics_set(f->m.last_apply, (double) time(NULL));
    double lag = (double) time(NULL) - (double) upto.wall / 1e9;
    metrics_set(f->m.lag, lag > 0 ? lag : 0);
    log_debug("phase '%s': applied %lld change(s) up to %s", f->phase.name, f->changes - before, text);
    return GW_OK;
}

static void
log_progress(Failback *f, bool force)
{
    double now = progress_now();
    if (!force && now - f->last_log < CHANGEFEED_LOG_INTERVAL)
        return;
    f->last_log = now;
    pthread_mutex_lock(&f->mu);
    Hlc applied = f->applied;
    long long staged = f->staged;
    pthread_mutex_unlock(&f->mu);
    char text[HLC_TEXT_LEN];
    hlc_format(applied, text, sizeof text);
    log_info("failback %s: %lld rows staged, %lld resolved intervals with %lld changes applied; checkpoint %s",
             f->phase.name, staged, f->txns, f->changes, text);
}

/*
 * --stop-when-caught-up: every recorded resolved timestamp is applied and
 * no request came for CHANGEFEED_QUIET_SECONDS (nor since the start).
 */
static bool
quiet(Failback *f, double started)
{
    pthread_mutex_lock(&f->mu);
    double last = f->last_request > started ? f->last_request : started;
    bool news = f->news;
    pthread_mutex_unlock(&f->mu);
    return !news && progress_now() - last >= CHANGEFEED_QUIET_SECONDS;
}

/* Waits for a resolved timestamp from the webhook, a stop request or the poll interval. */
static void
wait_for_news(Failback *f)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += CHANGEFEED_POLL_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&f->mu);
    while (!f->news && !signals_stop_requested())
        if (pthread_cond_timedwait(&f->cv, &f->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&f->mu);
}

static GwResult
apply_loop(Failback *f, double started)
{
    for (;;) {
        if (signals_stop_requested()) {
            log_info("stop requested");
            return GW_OK;
        }
        pthread_mutex_lock(&f->mu);
        f->news = false;
        Hlc applied = f->applied;
        pthread_mutex_unlock(&f->mu);
        Hlc next;
        bool found;
        /* Now and then: still the stream's only runner (the lock is taken again if its session was lost). */
        GwResult rc = GW_OK;
        if (progress_now() - f->last_lock_check >= CHANGEFEED_LOCK_CHECK_S) {
            f->last_lock_check = progress_now();
            rc = runner_lock_hold(&f->lock);
        }
        if (rc == GW_OK)
            rc = f->ops->staging_next_resolved(f->reader, f->staging_key, applied, &next, &found);
        if (rc == GW_OK && found)
            rc = apply_interval(f, next);
        if (rc)
            return rc;
        log_progress(f, false);
        if (found)
            continue;
        if (f->opts->stop_when_caught_up && quiet(f, started)) {
            log_info("caught up: every resolved timestamp applied and no request for %.0f s", CHANGEFEED_QUIET_SECONDS);
            return GW_OK;
        }
        wait_for_news(f);
    }
}

/* A lost source connection (either of the applier's two) is worth reconnecting for; anything else stops. */
static bool
transient(const Failback *f, GwResult rc)
{
    if (f->fatal || rc != GW_ERR_SOURCE)
        return false;
    if (f->lock.transient)
        return true;
    return !f->writer || !f->reader || f->ops->error_is_transient(f->writer) || f->ops->error_is_transient(f->reader);
}

/*
 * The applier, reconnecting to the source after a lost connection for up
 * to --retry-for seconds; the webhook keeps answering meanwhile (503 while
 * the source is away, which the changefeed retries).
 */
static GwResult
apply_with_retries(Failback *f, double started)
{
    Retry retry;
    RetryPolicy policy = {.initial = 0.5, .cap = 30, .jitter = RETRY_JITTER_EQUAL, .budget = f->opts->retry_seconds};
    retry_init(&retry, &policy);
    GwResult rc = apply_loop(f, started);
    while (rc != GW_OK && transient(f, rc) && !signals_stop_requested()) {
        if (!retry_failed(&retry, progress_now())) {
            log_error("giving up after %d s without a working source connection", f->opts->retry_seconds);
            return rc;
        }
        double wait = retry_next_delay(&retry);
        log_warn("source connection lost; reconnecting in %.1f s", wait);
        disconnect_source(f);
        sleep_unless_stopped(wait);
        rc = connect_source(f, false);
        if (rc == GW_OK)
            rc = load_checkpoint(f);
        if (rc == GW_OK) {
            retry_succeeded(&retry);
            rc = apply_loop(f, started);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ the command */

static GwResult
setup(Failback *f, const char **token_source)
{
    GwResult rc = load_token(f->opts, &f->token, token_source);
    char *app = phase_names_app(&f->mp, "failback");
    if (rc == GW_OK)
        rc = endpoint_init(&f->source_ep, f->opts->source_url, ROLE_SOURCE, app);
    if (rc == GW_OK)
        rc = endpoint_init(&f->target_ep, f->opts->target_url, ROLE_TARGET, app);
    free(app);
    EngineConn *target = NULL;
    Selection tables;
    selection_init(&tables);
    if (rc == GW_OK)
        rc = engine_connect(&f->target_ep, &target);
    if (rc == GW_OK)
        rc = load_phase(f, target, &tables);
    if (rc == GW_OK)
        rc = connect_source(f, true);
    if (rc == GW_OK)
        rc = load_tables(f, &tables);
    if (rc == GW_OK)
        rc = load_checkpoint(f);
    if (rc == GW_OK)
        rc = changefeed_statement(f, target, *token_source);
    selection_free(&tables);
    engine_close(target);
    return rc;
}

static void
teardown(Failback *f)
{
    webhook_stop(f->webhook);
    engine_close(f->stager);
    disconnect_source(f);
    runner_lock_release(&f->lock);
    for (size_t i = 0; i < f->ntables; i++) {
        changefeed_table_free(&f->tables[i].t);
        free(f->tables[i].qualified);
    }
    free(f->tables);
    changefeed_change_free(&f->change);
    catalog_free(&f->catalog);
    selection_free(&f->filters);
    phase_state_free(&f->phase);
    endpoint_free(&f->source_ep);
    endpoint_free(&f->target_ep);
    free(f->stream_name);
    free(f->staging_key);
    free(f->token);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}

GwResult
flow_failback_changefeed(const ReplicateOptions *opts)
{
    Failback f;
    memset(&f, 0, sizeof f);
    f.opts = opts;
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    catalog_init(&f.catalog);
    selection_init(&f.filters);
    changefeed_change_init(&f.change);
    GwResult rc = migration_phase(opts->migration_id, opts->source_url, opts->target_url, "failback", opts->phase,
                                  &f.mp);
    f.stream_name = phase_names_stream(&f.mp, true);
    f.staging_key = phase_names_staging(&f.mp);
    runner_lock_init(&f.lock, &f.source_ep, f.stream_name, "failback", opts->phase);
    f.max_body = opts->max_body ? opts->max_body : CHANGEFEED_MAX_BODY_DEFAULT;
    metrics_init(&f.m);
    const char *token_source = NULL;
    if (rc == GW_OK)
        rc = setup(&f, &token_source);
    HttpServer *http = NULL;
    if (rc == GW_OK && opts->metrics_addr)
        rc = http_server_start(opts->metrics_addr, &http);
    if (rc == GW_OK) {
        WebhookConfig cfg = {
            .listen = opts->listen_addr, .cert_file = opts->tls_cert_file, .key_file = opts->tls_key_file,
            .client_ca_file = opts->tls_client_ca_file, .token = f.token,
            .max_body = f.max_body, .deliver = deliver, .ctx = &f,
        };
        rc = webhook_start(&cfg, &f.webhook);
    }
    if (rc == GW_OK)
        rc = apply_with_retries(&f, progress_now());
    if (f.phase.name)
        log_progress(&f, true);
    teardown(&f);
    http_server_stop(http);
    metrics_reset();
    if (rc == GW_OK)
        log_info("failback %s: stopped cleanly", opts->phase);
    return rc;
}
