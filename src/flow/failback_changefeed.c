/*
 * failback_changefeed.c: failback from CockroachDB through a changefeed
 * webhook (see failback_changefeed.h; DESIGN.md, "CockroachDB specifics"):
 * what sets it up around the stream loop.
 *
 * Two threads share the work.  libmicrohttpd's thread receives a batch,
 * stages it on the source over a connection of its own and only then
 * answers 200; a resolved timestamp is recorded the same way.  The main
 * thread runs the stream loop (flow/replicate.c) over the staged changes
 * (flow/changefeed_stream.h): one resolved interval is one transaction,
 * through the phase filter exactly as `replicate` applies, committed with
 * its checkpoint in the source transaction that removes it from staging.
 * Redeliveries (at-least-once) are the same staged row, or at or before the
 * checkpoint and not staged.
 *
 * Loop prevention is the writer's: the source's apply session carries the
 * stream's replication origin (core/phase_names.h), as for slot-based failback.
 * The source must be PostgreSQL for now (staging is not written for MySQL).
 */
#include "flow/failback_changefeed.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonv.h"
#include "core/phase.h"
#include "core/phase_names.h"
#include "core/selection.h"
#include "flow/changefeed_stream.h"
#include "flow/migration.h"
#include "http/changefeed_webhook.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/progress.h"
#include "util/strbuf.h"

/* Largest token file read. */
#define CHANGEFEED_MAX_TOKEN 4096
/* Shortest token taken: 128 bits of hex; a short one is guessed. */
#define CHANGEFEED_MIN_TOKEN 32

/* A table of the phase as topics name it. */
typedef struct CfTable {
    const TableDef *def;
    char *qualified;            /* "schema.table" */
} CfTable;

typedef struct Failback {
    const ReplicateOptions *opts;
    char *token;
    const char *token_source;
    const Endpoint *source_ep;  /* the stream's writer's */
    const char *phase;
    char *staging_key;          /* the phase's staged rows on the source */
    Catalog catalog;            /* the source's tables of the phase, as the webhook thread reads them */
    CfTable *tables;
    size_t ntables;
    EngineConn *stager;         /* the webhook thread's, opened on its first request */
    Webhook *webhook;
    size_t max_body;
    ChangefeedInbox inbox;
    Metric *m_staged;
    Metric *m_resolved;
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
    static atomic_bool warned;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) && !atomic_exchange(&warned, true))
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
    if (opts->webhook.token_file) {
        *token = read_token_file(opts->webhook.token_file);
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
    if (!source->ops->staging) {
        log_error("source %s (%s): failback through a changefeed is not supported yet for this source (PostgreSQL"
                  " only)", source->endpoint->redacted, source->ops->name);
        return GW_ERR_USAGE;
    }
    return failback_changefeed_check_options(opts);
}

GwResult
failback_changefeed_check_options(const ReplicateOptions *opts)
{
    const char *missing = !opts->webhook.listen_addr ? "--listen HOST:PORT" : !opts->webhook.tls_cert_file ? "--tls-cert FILE"
                          : !opts->webhook.tls_key_file ? "--tls-key FILE" : NULL;
    if (missing) {
        log_error("failback through a changefeed webhook needs %s (the HTTPS endpoint the changefeed posts to)",
                  missing);
        return GW_ERR_USAGE;
    }
    const char *files[3][2] = {{"--tls-cert", opts->webhook.tls_cert_file}, {"--tls-key", opts->webhook.tls_key_file},
                               {"--tls-client-ca", opts->webhook.tls_client_ca_file}};
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
    if (token && strlen(token) < CHANGEFEED_MIN_TOKEN) {
        log_error("the webhook's bearer token (%s) has %zu characters: use at least %d, random (openssl rand -hex 16)",
                  token_source, strlen(token), CHANGEFEED_MIN_TOKEN);
        rc = GW_ERR_USAGE;
    } else if (!token && !opts->webhook.tls_client_ca_file) {
        log_error("the changefeed webhook needs a bearer token (--token-file FILE or GODWIT_WEBHOOK_TOKEN) or client"
                  " certificates (--tls-client-ca FILE): anyone reaching it could write to the source otherwise");
        rc = GW_ERR_USAGE;
    } else if (opts->webhook.create_changefeed && !opts->webhook.advertise &&
               failback_changefeed_listens_everywhere(&opts->webhook)) {
        log_error("--create-changefeed with --listen %s: the changefeed needs the address it reaches this machine at;"
                  " give it with --advertise HOST[:PORT]", opts->webhook.listen_addr);
        rc = GW_ERR_USAGE;
    } else if (opts->webhook.create_changefeed && opts->webhook.tls_client_ca_file) {
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
    if (!(ops->stream && ops->stream->changefeed_cursor)) {
        log_error("target %s (%s): failback through a changefeed needs CockroachDB", target->endpoint->redacted,
                  ops->name);
        return GW_ERR_USAGE;
    }
    Hlc cursor;
    bool exact;
    GwResult rc = ops->stream->changefeed_cursor(target, &cursor, &exact);
    if (rc)
        return rc;
    char text[HLC_TEXT_LEN];
    hlc_format(cursor, text, sizeof text);
    if (!exact)
        log_warn("target %s is not CockroachDB: the changefeed cursor %s is a placeholder made from its clock (a"
                 " stand-in for tests; no changefeed can run there)", target->endpoint->redacted, text);
    rc = phase_state_move(phase, PHASE_FAILBACK);
    if (rc)
        return rc;
    free(phase->failback_position);
    phase->failback_position = gw_strdup(text);
    free(phase->handoff_position);
    phase->handoff_position = NULL;
    rc = ops->state->state_put_phase(target, phase);
    if (rc)
        return rc;
    json_t *detail = json_pack("{s:s, s:s}", "position", text, "via", "changefeed");
    char *json = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    rc = ops->state->state_add_event(target, phase->name, "failback_prepared", json);
    free(json);
    if (rc == GW_OK)
        log_info("phase '%s': failback prepared; the changefeed sends the target's changes after %s", phase->name,
                 text);
    return rc;
}

GwResult
failback_changefeed_ready(EngineConn *target, const Catalog *tables, const char *phase)
{
    const StreamOps *so = target->ops->stream;
    int64_t horizon = 0;
    GwResult rc = so && so->changefeed_check ? so->changefeed_check(target, tables, &horizon) : GW_OK;
    if (rc == GW_OK && horizon > 0)
        log_warn("phase '%s': the changefeed `godwit failback` prints must be created within %lld s (%.1f h,"
                 " gc.ttlseconds of the phase's tables) of the cutover, or the target no longer has the changes it"
                 " must send from there; raise gc.ttlseconds if failback may start later",
                 phase, (long long) horizon, (double) horizon / 3600.0);
    return rc;
}

/* ------------------------------------------------------------------ the stream's phase and tables */

static bool
hlc_text_parse(const char *text, Hlc *out)
{
    return text && hlc_parse(text, strlen(text), out);
}

/* The phase on the target is prepared for a changefeed (cutover --changefeed); says why not. */
static bool
prepared(void *ctx, const PhaseState *phase, const char *target)
{
    Failback *f = ctx;
    Hlc pos;
    if (phase && phase->status == PHASE_FAILBACK && !phase->failback_slot &&
        hlc_text_parse(phase->failback_position, &pos))
        return true;
    log_error("phase '%s' is not prepared for failback through a changefeed on target %s%s", f->opts->phase, target,
              phase && phase->failback_slot ? " (it fails back through a replication slot: run failback without"
                                              " --changefeed)" : "");
    return false;
}

/* The phase's tables as the source has them, for the webhook thread (the loop's own go with each reconnect). */
static GwResult
load_tables(Failback *f, EngineConn *source, const Catalog *stream_tables)
{
    Selection tables;
    selection_init(&tables);
    for (size_t i = 0; i < stream_tables->ntables; i++)
        selection_add_table(&tables, stream_tables->tables[i].schema, stream_tables->tables[i].name);
    GwResult rc = source->ops->source->describe(source, &tables, &f->catalog);
    selection_free(&tables);
    if (rc)
        return rc;
    f->tables = gw_calloc(f->catalog.ntables + 1, sizeof *f->tables);
    for (size_t i = 0; i < f->catalog.ntables; i++) {
        f->tables[f->ntables].def = &f->catalog.tables[i];
        f->tables[f->ntables++].qualified = table_display_name(&f->catalog.tables[i]);
    }
    if (f->ntables == 0) {
        log_error("phase '%s' has no tables on source %s", f->phase, source->endpoint->redacted);
        return GW_ERR_SOURCE;
    }
    return GW_OK;
}

/*
 * HOST:PORT the changefeed reaches the webhook at: --advertise (its port,
 * when it has none, --listen's), else --listen, whose wildcard host names no
 * address the cluster could use (a placeholder the operator fills in).
 */
static void
webhook_host_port(const WebhookOptions *w, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(w->listen_addr, ':');
    *port = colon ? atoi(colon + 1) : 0;
    if (w->advertise) {
        const char *acolon = strrchr(w->advertise, ':');
        snprintf(host, hostlen, "%.*s", acolon ? (int) (acolon - w->advertise) : (int) strlen(w->advertise),
                 w->advertise);
        if (acolon)
            *port = atoi(acolon + 1);
        return;
    }
    snprintf(host, hostlen, "%.*s", colon ? (int) (colon - w->listen_addr) : 0, w->listen_addr);
    if (failback_changefeed_listens_everywhere(w))
        snprintf(host, hostlen, "<the address of this machine, or --advertise HOST>");
}

bool
failback_changefeed_listens_everywhere(const WebhookOptions *w)
{
    const char *colon = strrchr(w->listen_addr, ':');
    size_t n = colon ? (size_t) (colon - w->listen_addr) : 0;
    return n == 0 || (n == 7 && !strncmp(w->listen_addr, "0.0.0.0", 7)) ||
           (n == 4 && !strncmp(w->listen_addr, "[::]", 4));
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
changefeed_statement(Failback *f, EngineConn *target, Hlc cursor)
{
    char host[256];
    int port;
    webhook_host_port(&f->opts->webhook, host, sizeof host, &port);
    const TableDef **defs = gw_calloc(f->ntables + 1, sizeof *defs);
    for (size_t i = 0; i < f->ntables; i++)
        defs[i] = f->tables[i].def;
    char *cert = read_certificates(f->opts->webhook.tls_cert_file);
    ChangefeedSpec spec = {
        .tables = defs, .ntables = f->ntables, .host = host, .port = port, .phase = f->phase,
        .cursor = cursor, .ca_cert_pem = cert, .client_cert = f->opts->webhook.tls_client_ca_file != NULL,
        .token_source = f->token ? f->token_source : NULL, .flush_bytes = f->max_body / 4,
    };
    char *shown = failback_changefeed_sql(&spec);
    printf("-- Run on the CockroachDB target%s:\n%s\n", strchr(shown, '<') ? " (fill in the <...> placeholders)" : "",
           shown);
    fflush(stdout);
    free(shown);
    GwResult rc = GW_OK;
    if (f->opts->webhook.create_changefeed) {
        spec.token = f->token;
        char *sql = failback_changefeed_sql(&spec);
        char *job = NULL;
        const StreamOps *so = target->ops->stream;
        if (so && so->changefeed_create) {
            rc = so->changefeed_create(target, sql, &job);
        } else {
            log_error("target %s is %s: it cannot run CREATE CHANGEFEED", target->endpoint->redacted,
                      target->ops->name);
            rc = GW_ERR_USAGE;
        }
        if (rc == GW_OK)
            log_info("phase '%s': changefeed job %s created on target %s", f->phase, job, target->endpoint->redacted);
        free(job);
        free(sql);
    }
    free(cert);
    free(defs);
    return rc;
}

/* ------------------------------------------------------------------ webhook thread */

/*
 * The phase table a topic names: "schema.table" or "database.schema.table"
 * (full_table_name), or a name only one table has; each part as SQL quotes
 * it when it must (changefeed_topic_parts).
 */
static const CfTable *
table_for_topic(const Failback *f, const char *topic)
{
    char *parts[3];
    int n = changefeed_topic_parts(topic, parts, 3);
    const CfTable *found = NULL;
    int named = 0;
    for (size_t i = 0; i < f->ntables && n > 0; i++) {
        const TableDef *t = f->tables[i].def;
        if (!strcmp(parts[n - 1], t->name) && n >= 2 && !strcmp(parts[n - 2], t->schema)) {
            found = &f->tables[i];
            named = 1;
            break;
        }
        if (n == 1 && !strcmp(parts[0], t->name)) {
            found = &f->tables[i];
            named++;
        }
    }
    for (int i = 0; i < n; i++)
        free(parts[i]);
    return named == 1 ? found : NULL;
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
    Hlc applied = changefeed_inbox_applied(&f->inbox);
    StagedChange *rows = gw_calloc(m->nrows + 1, sizeof *rows);
    size_t n = 0;
    WebhookVerdict v = WEBHOOK_STAGED;
    for (size_t i = 0; i < m->nrows; i++) {
        const ChangefeedRow *r = &m->rows[i];
        const CfTable *t = table_for_topic(f, r->topic);
        if (!t) {
            snprintf(why, whylen, "payload[%zu]: topic \"%s\" is not a table of phase '%s'", i, r->topic,
                     f->phase);
            v = WEBHOOK_REFUSED;
            break;
        }
        /* At or before the checkpoint: a redelivery of what is applied already. */
        if (hlc_compare(r->updated, applied) <= 0)
            continue;
        StagedChange *s = &rows[n++];
        s->schema = gw_strdup(t->def->schema);
        s->table = gw_strdup(t->def->name);
        s->key = json_text(r->key);
        s->updated = r->updated;
        s->after = json_text(r->after);
        s->before = r->before ? json_text(r->before) : NULL;
    }
    const StagingOps *staging = f->stager->ops->staging;
    if (v == WEBHOOK_STAGED && n > 0 && staging->staging_put(f->stager, f->staging_key, rows, n) != GW_OK)
        v = WEBHOOK_UNAVAILABLE;
    if (v == WEBHOOK_STAGED) {
        metrics_add(f->m_staged, (double) n);
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
    changefeed_inbox_request(&f->inbox);
    if (!f->stager) {
        if (engine_connect(f->source_ep, &f->stager) != GW_OK)
            return WEBHOOK_UNAVAILABLE;
        if (f->stager->ops->staging->staging_init(f->stager) != GW_OK) {
            engine_close(f->stager);
            f->stager = NULL;
            return WEBHOOK_UNAVAILABLE;
        }
    }
    WebhookVerdict v;
    bool stale = m->is_resolved && hlc_compare(m->resolved, changefeed_inbox_applied(&f->inbox)) <= 0;
    if (stale) {
        /* At or before the checkpoint: applied already, nothing to record. */
        v = WEBHOOK_STAGED;
    } else if (m->is_resolved) {
        v = f->stager->ops->staging->staging_resolve(f->stager, f->staging_key, m->resolved) == GW_OK ? WEBHOOK_STAGED
                                                                                    : WEBHOOK_UNAVAILABLE;
        if (v == WEBHOOK_STAGED) {
            changefeed_inbox_resolved(&f->inbox);
            metrics_set(f->m_resolved, (double) m->resolved.wall / 1e9);
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

/* ------------------------------------------------------------------ the feed */

static WebhookVerdict deliver(void *ctx, const ChangefeedMessage *m, char *why, size_t whylen);

/* Under the runner lock, before the first stream opens: the statement printed, then the webhook serving. */
static GwResult
start(void *ctx, EngineConn *target, EngineConn *source, const PhaseState *phase, const Catalog *catalog,
      StreamPos from)
{
    Failback *f = ctx;
    if (!source->ops->staging) {
        log_error("source %s (%s): failback through a changefeed is not supported yet for this source (PostgreSQL"
                  " only)", source->endpoint->redacted, source->ops->name);
        return GW_ERR_USAGE;
    }
    f->source_ep = source->endpoint;
    f->phase = phase->name;
    f->inbox.applied = changefeed_hlc(from);
    GwResult rc = source->ops->staging->staging_init(source);
    if (rc == GW_OK)
        rc = load_tables(f, source, catalog);
    if (rc == GW_OK)
        rc = changefeed_statement(f, target, changefeed_hlc(from));
    if (rc == GW_OK) {
        char *path = gw_asprintf("/godwit/%s", f->phase);
        WebhookConfig cfg = {
            .listen = f->opts->webhook.listen_addr, .path = path, .cert_file = f->opts->webhook.tls_cert_file, .key_file = f->opts->webhook.tls_key_file,
            .client_ca_file = f->opts->webhook.tls_client_ca_file, .token = f->token,
            .max_body = f->max_body, .deliver = deliver, .ctx = f,
        };
        rc = webhook_start(&cfg, &f->webhook);
        free(path);
    }
    return rc;
}

static GwResult
open_stream(void *ctx, const Endpoint *source, const PhaseState *phase, const Catalog *catalog, StreamPos from,
            ChangeStream **out)
{
    Failback *f = ctx;
    return changefeed_stream_open(source, f->staging_key, phase->name, catalog, &f->inbox, from, out);
}

static bool
caught_up(void *ctx)
{
    Failback *f = ctx;
    if (!changefeed_inbox_quiet(&f->inbox))
        return false;
    log_info("caught up: every resolved timestamp applied and no request for %.0f s", CHANGEFEED_QUIET_SECONDS);
    return true;
}

static void
stop(void *ctx)
{
    Failback *f = ctx;
    webhook_stop(f->webhook);
    f->webhook = NULL;
    engine_close(f->stager);
    f->stager = NULL;
}

GwResult
flow_failback_changefeed(const ReplicateOptions *opts)
{
    Failback f;
    memset(&f, 0, sizeof f);
    f.opts = opts;
    f.max_body = opts->webhook.max_body ? opts->webhook.max_body : CHANGEFEED_MAX_BODY_DEFAULT;
    catalog_init(&f.catalog);
    changefeed_inbox_init(&f.inbox);
    MigrationPhase mp;
    GwResult rc = migration_phase(opts->migration_id, opts->source_url, opts->target_url, "failback", opts->phase,
                                  &mp);
    if (rc == GW_OK)
        rc = load_token(opts, &f.token, &f.token_source);
    if (rc == GW_OK) {
        f.staging_key = phase_names_staging(&mp);
        f.m_staged = metrics_series("godwit_changefeed_rows_staged_total", "Changefeed rows staged on the source",
                                    METRIC_COUNTER, NULL, NULL);
        f.m_resolved = metrics_series("godwit_changefeed_resolved_seconds", "Wall time of the last resolved timestamp",
                                      METRIC_GAUGE, NULL, NULL);
        ReplicateFeed feed = {
            .ctx = &f, .ops = &changefeed_stream_reader, .prepared = prepared, .start = start, .open = open_stream,
            .caught_up = caught_up, .transient = changefeed_stream_transient, .stop = stop,
        };
        ReplicateOptions o = *opts;
        o.migration_id = mp.id;
        o.failback = true;
        rc = flow_replicate_feed(&o, &feed);
    }
    stop(&f);
    for (size_t i = 0; i < f.ntables; i++)
        free(f.tables[i].qualified);
    free(f.tables);
    catalog_free(&f.catalog);
    changefeed_inbox_free(&f.inbox);
    free(f.staging_key);
    free(f.token);
    return rc;
}
