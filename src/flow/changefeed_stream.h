/*
 * changefeed_stream.h: the changes a CockroachDB changefeed staged on the
 * source (flow/failback_changefeed.h), read back as a change stream for
 * the stream loop (flow/replicate.c).
 *
 * Each resolved timestamp R after the last one delivered is a transaction:
 * BEGIN, every staged change with a timestamp after the previous one and at
 * or before R in (timestamp, arrival) order, COMMIT at R.  CockroachDB
 * sends R only once every change at or before it was acknowledged, so the
 * interval is complete.  Positions are the HLC (wall << 64 | logical).  The
 * staged rows and resolved timestamps at or before a checkpoint are removed
 * in the writer's transaction that writes it (StreamReader.seal): since both
 * live in the source's database, a crash re-applies nothing and loses
 * nothing.
 *
 * The webhook thread stages; the inbox is what it shares with the stream.
 */
#ifndef GW_CHANGEFEED_STREAM_H
#define GW_CHANGEFEED_STREAM_H

#include <pthread.h>
#include <stdbool.h>

#include "core/catalog.h"
#include "core/hlc.h"
#include "flow/stream_reader.h"

/* --stop-when-caught-up: seconds without a request, everything resolved applied, before it stops. */
#define CHANGEFEED_QUIET_SECONDS 2.0

typedef struct ChangefeedInbox {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Hlc applied;            /* confirmed by the stream: older deliveries are redeliveries */
    double started;         /* progress_now() when the command started */
    double last_request;    /* progress_now() of the last request; 0: none */
    bool news;              /* a resolved timestamp arrived since the stream last looked */
} ChangefeedInbox;

void changefeed_inbox_init(ChangefeedInbox *in);
void changefeed_inbox_free(ChangefeedInbox *in);
/* The webhook thread: a request came; a resolved timestamp was recorded. */
void changefeed_inbox_request(ChangefeedInbox *in);
void changefeed_inbox_resolved(ChangefeedInbox *in);
Hlc changefeed_inbox_applied(ChangefeedInbox *in);
/*
 * --stop-when-caught-up: no resolved timestamp waits and no request came
 * for CHANGEFEED_QUIET_SECONDS (nor since the start).
 */
bool changefeed_inbox_quiet(ChangefeedInbox *in);

StreamPos changefeed_pos(Hlc h);
Hlc changefeed_hlc(StreamPos pos);

extern const StreamReader changefeed_stream_reader;

/*
 * Opens the stream of the staged changes under staging_key (phase_names_staging)
 * after start, on a source connection of its own; catalog holds the source's
 * tables of the phase and outlives the stream.
 */
GwResult changefeed_stream_open(const Endpoint *source, const char *staging_key, const char *phase,
                                const Catalog *catalog, ChangefeedInbox *inbox, StreamPos start,
                                ChangeStream **out) GW_MUST_CHECK;
/* Whether the stream's last error was a lost connection, worth reconnecting for. */
bool changefeed_stream_transient(ChangeStream *s);

#endif
