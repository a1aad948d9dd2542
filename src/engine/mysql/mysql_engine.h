/*
 * mysql_engine.h: the MySQL/MariaDB engine (a fetch and stream source).
 * The rest of godwit sees only its ops table; code that needs more (the
 * binlog stream) includes mysql_conn.h.
 */
#ifndef GW_MYSQL_ENGINE_H
#define GW_MYSQL_ENGINE_H

#include "engine/engine.h"

extern const EngineOps mysql_engine_ops;

#endif
