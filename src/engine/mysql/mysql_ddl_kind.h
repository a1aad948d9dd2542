/*
 * mysql_ddl_kind.h: whether a DDL statement of the binlog can change a
 * table's rows or columns.  Triggers, views, stored routines and events
 * cannot: a trigger's writes are logged as row events of their own, a view
 * holds no rows; nor can statements about accounts (GRANT, CREATE USER,
 * ...), FLUSH, ANALYZE and OPTIMIZE (a rebuild keeps rows and columns).
 * A forward stream goes past such statements instead of stopping for the
 * operator (mysql_stream.c): a GRANT during a migration is routine.  Pure
 * function: no I/O.
 */
#ifndef GW_MYSQL_DDL_KIND_H
#define GW_MYSQL_DDL_KIND_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True for CREATE [OR REPLACE] ... / DROP / ALTER of a TRIGGER, VIEW,
 * PROCEDURE, FUNCTION, EVENT, USER or ROLE; GRANT, REVOKE, RENAME USER,
 * SET PASSWORD, SET DEFAULT ROLE, FLUSH, ANALYZE, OPTIMIZE; with the
 * clauses the server writes between
 * (ALGORITHM, DEFINER, SQL SECURITY, AGGREGATE, IF [NOT] EXISTS) and
 * mysqldump's version comments (slash-star-bang).  False for anything else, and for what
 * it cannot read.
 */
bool mysql_ddl_keeps_tables(const char *sql, size_t len);

/*
 * Whether the statement names database name: quoted (`name`, a backtick in
 * it doubled) or, when it needs no quotes, bare as a whole identifier.  Any
 * case: wider than the server's rule, never narrower.
 */
bool mysql_ddl_names_database(const char *sql, size_t len, const char *name);

/*
 * True for TRUNCATE [TABLE] [db.]name (each part bare or `quoted`, a
 * trailing ';' allowed), with *schema (NULL: the statement's default
 * database) and *name, which the caller frees; false for anything else.
 * MySQL truncates one table per statement.
 */
bool mysql_ddl_truncated_table(const char *sql, size_t len, char **schema, char **name);

#endif
