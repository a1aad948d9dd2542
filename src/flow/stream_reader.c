/*
 * stream_reader.c: an engine's change stream as StreamReader (stream_reader.h).
 */
#include "flow/stream_reader.h"

void
stream_reader_of_engine(const EngineOps *engine, StreamReader *out)
{
    *out = (StreamReader) {
        .next = engine->stream->stream_next,
        .confirm = engine->stream->stream_confirm,
        .sent_pos = engine->stream->stream_sent_pos,
        .bytes = engine->stream->stream_bytes,
        .close = engine->stream->stream_close,
        .parse_pos = engine->stream->parse_pos,
        .format_pos = engine->stream->format_pos,
    };
}
