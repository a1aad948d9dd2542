/*
 * pg_engine.h: the PostgreSQL engine.  The rest of godwit sees its ops
 * table, and engine_connect the two steps of opening a session of the
 * PostgreSQL protocol (CockroachDB's engine, engine/crdb, shares them).
 */
#ifndef GW_PG_ENGINE_H
#define GW_PG_ENGINE_H

#include "engine/engine.h"

extern const EngineOps pg_engine_ops;

/*
 * Connects to a server of the PostgreSQL protocol; conn->kind tells which
 * (ENGINE_POSTGRES or ENGINE_COCKROACH).  The session is not usable until
 * an engine takes it (pg_engine_start, crdb_engine_start).
 */
GwResult pg_wire_open(const Endpoint *ep, EngineConn **out) GW_MUST_CHECK;
/* Makes a session pg_wire_open opened a PostgreSQL engine's; closes it on failure. */
GwResult pg_engine_start(EngineConn *conn) GW_MUST_CHECK;

#endif
