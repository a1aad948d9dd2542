/*
 * pg_engine.h: the PostgreSQL engine (and, with its dialect, CockroachDB).
 * The only thing the rest of godwit sees of it is its ops table.
 */
#ifndef GW_PG_ENGINE_H
#define GW_PG_ENGINE_H

#include "engine/engine.h"

extern const EngineOps pg_engine_ops;

#endif
