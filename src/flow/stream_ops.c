/*
 * stream_ops.c: an engine's change stream as StreamOps (stream_ops.h).
 */
#include "flow/stream_ops.h"

void
stream_ops_of_engine(const EngineOps *engine, StreamOps *out)
{
    *out = (StreamOps) {
        .next = engine->stream_next,
        .confirm = engine->stream_confirm,
        .sent_pos = engine->stream_sent_pos,
        .bytes = engine->stream_bytes,
        .close = engine->stream_close,
        .parse_pos = engine->parse_pos,
        .format_pos = engine->format_pos,
    };
}
