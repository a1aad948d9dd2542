/*
 * mysql_apply.h: MySQL/MariaDB as the writer of a change stream (failback
 * writes a PostgreSQL target's changes back into a MySQL source): the
 * EngineOps apply entries of the MySQL engine (mysql_apply.c) and the
 * stream's checkpoints in the database's `_godwit` state (mysql_state.c).
 */
#ifndef GW_MYSQL_APPLY_H
#define GW_MYSQL_APPLY_H

#include "engine/engine.h"
#include "engine/mysql/mysql_conn.h"
#include "util/strbuf.h"

/* mysql_apply.c: EngineOps entries. */
GwResult mysql_apply_setup(EngineConn *conn, const char *stream, bool log_has_cascade_effects) GW_MUST_CHECK;
GwResult mysql_apply_change(EngineConn *conn, const Change *ch, const TableDef *t) GW_MUST_CHECK;
GwResult mysql_apply_commit(EngineConn *conn, const char *stream, const char *phase,
                            const char *position) GW_MUST_CHECK;
void mysql_apply_abort(EngineConn *conn);
/* Frees the connection's apply session, if any (by mysql_close_conn). */
void mysql_apply_free(MyConn *c);

/* mysql_state.c */
/* Whether `_godwit` has every table named in tables (NULL-terminated); looked at, nothing made. */
GwResult mysql_state_tables_exist(MyConn *c, const char *const *tables, bool *exist) GW_MUST_CHECK;
/* Creates, when missing, database `_godwit` and its table `checkpoints`. */
GwResult mysql_state_ensure_checkpoints(MyConn *c) GW_MUST_CHECK;
/* Appends the statement that records a stream's position (an upsert of its row). */
void mysql_state_checkpoint_sql(StrBuf *sql, const char *stream, const char *phase, const char *position);
/* ApplyOps.checkpoint_get: no `_godwit` database or table is "not found", not an error. */
GwResult mysql_checkpoint_get(EngineConn *conn, const char *stream, char **position, bool *found) GW_MUST_CHECK;
/* Removes the stream's checkpoint, if any (a phase whose failback is over). */
GwResult mysql_checkpoint_delete(EngineConn *conn, const char *stream) GW_MUST_CHECK;

#endif
