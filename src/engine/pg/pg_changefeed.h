/*
 * pg_changefeed.h: the PostgreSQL engine's part of failback from CockroachDB
 * through a changefeed webhook: the changefeed cursor and CREATE CHANGEFEED
 * on a CockroachDB target, and the staging of delivered changes in a
 * PostgreSQL (or CockroachDB) source's _godwit schema.  Internal to
 * src/engine/pg, reached through pg_engine_ops.
 */
#ifndef GW_PG_CHANGEFEED_H
#define GW_PG_CHANGEFEED_H

#include "engine/engine.h"

GwResult pg_changefeed_cursor(EngineConn *conn, Hlc *now, bool *exact) GW_MUST_CHECK;
/* The current time by sql (one HLC timestamp as text), for a changefeed cursor. */
GwResult pg_changefeed_cursor_query(EngineConn *conn, const char *sql, Hlc *now) GW_MUST_CHECK;
GwResult pg_staging_init(EngineConn *conn) GW_MUST_CHECK;
GwResult pg_staging_put(EngineConn *conn, const char *phase, const StagedChange *rows, size_t n) GW_MUST_CHECK;
GwResult pg_staging_resolve(EngineConn *conn, const char *phase, Hlc resolved) GW_MUST_CHECK;
GwResult pg_staging_next_resolved(EngineConn *conn, const char *phase, Hlc after, Hlc *next,
                                  bool *found) GW_MUST_CHECK;
GwResult pg_staging_read(EngineConn *conn, const char *phase, Hlc from, int64_t from_seq, Hlc upto, size_t limit,
                         StagedChange **rows, size_t *n) GW_MUST_CHECK;
GwResult pg_staging_discard(EngineConn *conn, const char *phase, Hlc upto) GW_MUST_CHECK;

#endif
