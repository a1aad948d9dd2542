/*
 * mysql_value.h: pieces of the canonical value forms of mysql_column.h that
 * need more than copying: floats, date checks, BIT strings and SET
 * literals.  Pure functions, shared by the bulk reader (mysql_copy.c) and
 * unit-tested; the binlog decoder must produce the same bytes.
 */
#ifndef GW_MYSQL_VALUE_H
#define GW_MYSQL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/mysql/mysql_column.h"
#include "util/strbuf.h"

/*
 * x in the fewest significant digits that read back to the same float
 * (single) or double, laid out as PostgreSQL's float4out/float8out and
 * printf's %g: fixed-point when the decimal exponent is in [-4, 6) for a
 * float or [-4, 15) for a double, else d.ddde+XX ("1.2345678", "1e-45",
 * "3.4028235e+38", "0.1", "-0").  cap must be at least 32.
 */
size_t mysql_value_format_float(double x, bool single, char *buf, size_t cap);

typedef enum MyDateCheck {
    MYDATE_OK,
    MYDATE_ZERO,        /* a zero year, month or day: NULL with --zero-dates null, else an error */
    MYDATE_INVALID,     /* a day the month does not have, or not a date at all: an error */
} MyDateCheck;

/* Checks the "YYYY-MM-DD" that starts a DATE, DATETIME or TIMESTAMP text. */
MyDateCheck mysql_value_check_date(const char *s, size_t n);

/* Writes the nbits bits of a BIT value (n big-endian bytes) as '0'/'1' into dst (nbits bytes). */
void mysql_value_bits(char *dst, const unsigned char *s, size_t n, int nbits);

/*
 * Appends the text[] literal of a SET bitmask: "{}" or "{a,b}" in definition
 * order; an element that is empty, contains {}",\ or white space, or reads
 * NULL in any case is double-quoted with " and \ backslash-escaped.  Returns
 * -1 (appending nothing) when the mask has a bit beyond the labels.
 */
int mysql_value_set_literal(StrBuf *out, const MyColumn *col, uint64_t mask);

#endif
