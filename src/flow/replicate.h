/*
 * replicate.h: `godwit replicate`: stream every change committed on the
 * source after a phase's snapshot into the target, exactly once.
 * Engine-neutral: it drives engines through engine.h only.
 */
#ifndef GW_REPLICATE_H
#define GW_REPLICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/result.h"

#include "core/catalog.h"
#include "core/phase_status.h"
#include "engine/engine.h"
#include "flow/stream_reader.h"

/* Failback from a changefeed (flow/failback_changefeed.h): godwit's HTTPS endpoint for it. */
typedef struct WebhookOptions {
    bool requested;             /* --changefeed: the webhook even for a target that is not CockroachDB */
    const char *listen_addr;    /* HOST:PORT of the HTTPS endpoint */
    const char *advertise;      /* HOST[:PORT] the changefeed reaches it at (NULL: --listen's) */
    const char *tls_cert_file;  /* PEM */
    const char *tls_key_file;
    const char *tls_client_ca_file; /* PEM: clients must present a certificate it signed; NULL: none */
    const char *token_file;     /* the bearer token (else GODWIT_WEBHOOK_TOKEN); never printed */
    size_t max_body;            /* largest request body accepted */
    bool create_changefeed;     /* run the CREATE CHANGEFEED on the target instead of only printing it */
} WebhookOptions;

typedef struct ReplicateOptions {
    bool failback;          /* the failback stream: the target's changes into the source */
    const char *source_url;
    const char *target_url;
    const char *phase;
    bool stop_when_caught_up;
    /* --standby: while another process runs the stream, wait and take over when it stops (a hot standby). */
    bool standby;
    int retry_seconds;      /* give up after this long without a working connection */
    int group_changes;      /* most changes in one target transaction */
    int group_ms;           /* longest a group stays open */
    const char *metrics_addr;   /* HOST:PORT for /metrics and /healthz, or NULL */
    /* How the stream's reader reads its source (reader_id 0: derived from the phase's names). */
    SourceReadOptions read;
    WebhookOptions webhook;     /* failback through a changefeed webhook */
    /* Set by in-process callers (cutover, rollback) only. */
    /* Stop once no change of the phase came for this long (cutover without a fence); 0: never. */
    int quiet_ms;
    struct ReplicateResult *result;     /* filled in when the stream ends, or NULL */
    /*
     * The target's migration id, when the caller checked it (flow/migration.h)
     * and runs the stream in-process; NULL: the stream checks it itself.
     */
    const char *migration_id;
} ReplicateOptions;

/* What a stream reports when it ends (in-process callers: cutover, rollback). */
typedef struct ReplicateResult {
    double last_phase_change;   /* progress_now() of the last change of the phase applied; 0: none */
    char applied[64];           /* the position applied and checkpointed up to */
} ReplicateResult;

/* A stream's tuning unless the operator says otherwise (`replicate`, `failback`, and the streams of cutover and rollback). */
#define REPLICATE_DEFAULT_RETRY_SECONDS 300
#define REPLICATE_DEFAULT_GROUP_CHANGES 2000
#define REPLICATE_DEFAULT_GROUP_MS 2

GwResult flow_replicate(const ReplicateOptions *opts) GW_MUST_CHECK;

/*
 * A stream whose changes do not come from the reader's own log: the
 * changefeed's staging on the source (flow/failback_changefeed.c).  The
 * loop, its checkpoints, retries and metrics are the same.
 */
typedef struct ReplicateFeed {
    void *ctx;
    const StreamReader *ops;
    /* Whether the phase's state lets the feed run; says why not. */
    bool (*prepared)(void *ctx, const PhaseState *phase, const char *target);
    /* Once, under the runner lock, the phase loaded and the writer connected, before the first stream opens. */
    GwResult (*start)(void *ctx, EngineConn *reader, EngineConn *writer, const PhaseState *phase,
                      const Catalog *catalog, StreamPos start) GW_MUST_CHECK;
    GwResult (*open)(void *ctx, const Endpoint *writer, const PhaseState *phase, const Catalog *catalog,
                     StreamPos start, ChangeStream **out) GW_MUST_CHECK;
    /* --stop-when-caught-up: asked when nothing is open or in flight. */
    bool (*caught_up)(void *ctx);
    /* Whether the stream's error (GW_ERR_SOURCE) is worth reconnecting for. */
    bool (*transient)(ChangeStream *s);
    /* When the stream ends, before its metrics go. */
    void (*stop)(void *ctx);
} ReplicateFeed;

GwResult flow_replicate_feed(const ReplicateOptions *opts, const ReplicateFeed *feed) GW_MUST_CHECK;


#endif
