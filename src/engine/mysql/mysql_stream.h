/*
 * mysql_stream.h: the binlog change stream of a MySQL/MariaDB source: the
 * EngineOps stream entries of the MySQL engine (mysql_stream.c).
 */
#ifndef GW_MYSQL_STREAM_H
#define GW_MYSQL_STREAM_H

#include "engine/engine.h"

GwResult mysql_stream_open(EngineConn *conn, const PhaseState *ps, StreamPos start, ChangeStream **out) GW_MUST_CHECK;
GwResult mysql_stream_next(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *change) GW_MUST_CHECK;
GwResult mysql_stream_confirm(ChangeStream *s, StreamPos applied, bool request_reply) GW_MUST_CHECK;
StreamPos mysql_stream_sent_pos(ChangeStream *s);
uint64_t mysql_stream_bytes(ChangeStream *s);
void mysql_stream_close(ChangeStream *s);

#endif
