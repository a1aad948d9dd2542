/*
 * mysql_literal.h: canonical text values (DESIGN.md, "One value model": the
 * text PostgreSQL prints for the mapped type, as the pgoutput reader gives
 * it) turned back into MySQL/MariaDB SQL literals for a column of a given
 * MyValueKind: the reverse of the fetch mapping of mysql_types.c and of the
 * forward conversions of mysql_column.h.  Used by the applier (failback
 * writes a PostgreSQL target's changes into a MySQL source).
 *
 * The session the literals are sent on runs with NO_BACKSLASH_ESCAPES,
 * time_zone '+00:00' and character set utf8mb4 (mysql_conn.h): strings are
 * quoted by doubling quotes only, TIMESTAMP literals are UTC.
 *
 * What it must never do: paste text it has not checked into SQL (numbers are
 * validated, strings quoted, bytes hex-encoded), or turn a value into a
 * different one silently (NaN, infinities, BC dates, intervals with months,
 * times beyond MySQL's TIME range are errors that say why).  Pure functions:
 * no I/O.
 */
#ifndef GW_MYSQL_LITERAL_H
#define GW_MYSQL_LITERAL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/mysql/mysql_column.h"
#include "util/result.h"
#include "util/strbuf.h"

/*
 * Appends the literal of one canonical value (text, len bytes, not
 * NUL-terminated) for a column described by col:
 *   MYV_BOOL           t/f -> 1/0
 *   MYV_INT, MYV_UINT, MYV_YEAR   integers as they are (checked)
 *   MYV_DECIMAL        the number as it is (checked; NaN and infinities refused)
 *   MYV_FLOAT          the float's exact value as a double literal ("1.1000000238418579e0"), so that
 *                      the server stores exactly the float the text names
 *   MYV_DOUBLE         the number as a double literal (NaN and infinities refused)
 *   MYV_BIT            '0101' -> b'0101'
 *   MYV_TEXT, MYV_JSON a quoted string; MYV_ENUM also checked against col->labels when it has them
 *   MYV_BYTES          bytea hex '\x0a0b' -> X'0a0b' (the escape format is read too)
 *   MYV_DATE           'YYYY-MM-DD' (BC dates, infinities, years beyond 9999 refused)
 *   MYV_DATETIME, MYV_TIMESTAMP   'YYYY-MM-DD HH:MM:SS[.ffffff]'; a UTC offset ("+00", "-08:00")
 *                      is applied: the literal is in UTC
 *   MYV_TIME           an interval ("1 day 02:03:04", "-01:02:03.5") -> '[-]H:MM:SS[.ffffff]', days
 *                      folded into hours; months or years, or beyond +-838:59:59.999999, refused
 *   MYV_SET            a text[] literal ('{a,"b c"}') -> 'a,b c' (members checked against col->labels
 *                      when it has them; a NULL member, or one with a comma, refused)
 * Returns 0, or -1 with a reason in err (which names neither the column nor
 * the value: the caller does) and nothing appended.
 */
int mysql_literal_append(StrBuf *out, const MyColumn *col, const char *text, size_t len, char *err,
                         size_t errlen) GW_MUST_CHECK;

/* Appends s (n bytes) as a quoted string literal: 'it''s'. */
void mysql_literal_string(StrBuf *out, const char *s, size_t n);

#endif
