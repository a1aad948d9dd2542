/*
 * mysql_defaults.h: a MySQL column default as a PostgreSQL DEFAULT
 * expression (mysql_defaults.c).
 */
#ifndef GW_MYSQL_DEFAULTS_H
#define GW_MYSQL_DEFAULTS_H

#include <stdbool.h>

#include "engine/mysql/mysql_column.h"

/*
 * column_default and extra as information_schema.COLUMNS gives them.
 * Returns the PostgreSQL expression (caller frees), or NULL: no default, or
 * one that cannot be carried over, with *why saying why (for a warning).
 */
char *mysql_default_sql(const MyColumn *col, const char *column_default, const char *extra, bool mariadb,
                        const char **why);

/* Whether a DATE, DATETIME or TIMESTAMP column's default is a zero date ('0000-00-00', a zero month or day). */
bool mysql_default_is_zero_date(const MyColumn *col, const char *column_default, bool mariadb);

#endif
