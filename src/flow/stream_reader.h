/*
 * stream_reader.h: what the stream loop (flow/replicate.c) reads changes
 * through.  An engine's own change stream (a replication slot, a binlog)
 * fills it from its EngineOps; the changefeed's staging tables
 * (flow/changefeed_stream.h) have their own.  The loop does not know which.
 */
#ifndef GW_STREAM_READER_H
#define GW_STREAM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct StreamReader {
    GwResult (*next)(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *change) GW_MUST_CHECK;
    /* Everything before applied is on the writer for good: the stream may let it go. */
    GwResult (*confirm)(ChangeStream *s, StreamPos applied, bool request_reply) GW_MUST_CHECK;
    StreamPos (*sent_pos)(ChangeStream *s);
    uint64_t (*bytes)(ChangeStream *s);
    void (*close)(ChangeStream *s);
    int (*parse_pos)(const char *text, StreamPos *out);
    void (*format_pos)(StreamPos pos, char *buf, size_t len);
    /*
     * Optional: inside the writer's open transaction, just before the
     * checkpoint at upto commits with it.  A stream whose changes wait in
     * the writer's database (changefeed staging) removes them here, so that
     * they go exactly when the checkpoint passes them.
     */
    GwResult (*seal)(ChangeStream *s, EngineConn *writer, StreamPos upto) GW_MUST_CHECK;
} StreamReader;

/* The stream operations of an engine's own change stream. */
void stream_reader_of_engine(const EngineOps *engine, StreamReader *out);

#endif
