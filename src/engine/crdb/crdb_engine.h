/*
 * crdb_engine.h: the CockroachDB engine.  CockroachDB speaks PostgreSQL's
 * protocol: its engine shares the PostgreSQL engine's wire code and most of
 * its operations (engine/pg), with its own dialect and the operations that
 * differ as a whole (crdb_source.c, crdb_target.c).
 */
#ifndef GW_CRDB_ENGINE_H
#define GW_CRDB_ENGINE_H

#include "engine/engine.h"

extern const EngineOps crdb_engine_ops;

/* Makes a session pg_wire_open opened (to CockroachDB) this engine's; closes it on failure. */
GwResult crdb_engine_start(EngineConn *conn) GW_MUST_CHECK;

#endif
