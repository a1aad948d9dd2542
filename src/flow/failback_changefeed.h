/*
 * failback_changefeed.h: `godwit failback` from a CockroachDB target, whose
 * changes come back through a changefeed posting to godwit's HTTPS endpoint
 * instead of a replication slot (DESIGN.md, "CockroachDB specifics").
 *
 * The cutover (failback_prepare_stream) records the changefeed's cursor,
 * the target's clock once forward replication is drained, as the phase's
 * failback position; failback runs only for a phase so prepared.  Every run
 * prints the CREATE CHANGEFEED statement to run on the target (or runs it,
 * --create-changefeed), serves the webhook, which stages each batch in the
 * source's _godwit schema before it answers 200, and applies what is staged
 * with replicate's stream loop (flow/changefeed_stream.h): each resolved
 * interval is a transaction of the stream, the changes with a timestamp
 * after the previous resolved timestamp and at or before the next, in
 * timestamp order; a source transaction that applies some also writes the
 * checkpoint and removes them from staging.
 */
#ifndef GW_FAILBACK_CHANGEFEED_H
#define GW_FAILBACK_CHANGEFEED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/catalog.h"
#include "core/hlc.h"
#include "engine/engine.h"
#include "flow/replicate.h"
#include "util/result.h"

/* Default of --max-body. */
#define CHANGEFEED_MAX_BODY_DEFAULT ((size_t) 16 * 1024 * 1024)

/*
 * Whether the webhook options are complete and coherent and the source can
 * stage changes; says what is missing.  Before any work.
 */
GwResult failback_changefeed_check(const ReplicateOptions *opts, const EngineConn *source) GW_MUST_CHECK;
/* The options part of it, for the command line (--changefeed given: checked before connecting). */
GwResult failback_changefeed_check_options(const ReplicateOptions *opts) GW_MUST_CHECK;
/* Whether --listen names no host (every address): the changefeed then needs --advertise. */
bool failback_changefeed_listens_everywhere(const WebhookOptions *w);

/* Cutover's last step: the cursor from the target's clock, recorded with the phase's new status. */
GwResult failback_changefeed_prepare(EngineConn *target, PhaseState *phase) GW_MUST_CHECK;
/*
 * Before a cutover (or in preflight): whether a changefeed of the phase's
 * tables can run on the target (StreamOps.changefeed_check), and a warning
 * saying how long after the cutover it may still be created.
 */
GwResult failback_changefeed_ready(EngineConn *target, const Catalog *tables, const char *phase) GW_MUST_CHECK;

/* Serves the webhook and applies what it stages, until stopped (see above). */
GwResult flow_failback_changefeed(const ReplicateOptions *opts) GW_MUST_CHECK;

/* What the CREATE CHANGEFEED statement says. */
typedef struct ChangefeedSpec {
    const TableDef *const *tables;
    size_t ntables;
    const char *host;           /* where the changefeed reaches godwit */
    int port;
    const char *phase;          /* names the endpoint's path */
    Hlc cursor;                 /* changes after it are sent */
    const char *ca_cert_pem;    /* the server's certificate, for the changefeed to trust; NULL: none */
    bool client_cert;           /* the endpoint asks for a client certificate: placeholders for it */
    const char *token;          /* the bearer token; NULL: a placeholder naming token_source */
    const char *token_source;
    size_t flush_bytes;         /* batches are flushed before they reach this size */
} ChangefeedSpec;

/* The statement, ending with ';'.  Caller frees. */
char *failback_changefeed_sql(const ChangefeedSpec *spec);

#endif
