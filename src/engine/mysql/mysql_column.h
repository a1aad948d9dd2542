/*
 * mysql_column.h: what godwit knows of one MySQL/MariaDB column, and how its
 * values are written in the canonical value model (DESIGN.md, "One value
 * model": the PostgreSQL COPY text input form of the mapped PostgreSQL type).
 *
 * The catalog reader (mysql_catalog.c) fills a MyColumn per column from
 * information_schema; the bulk reader (mysql_copy.c, text protocol) and the
 * binlog row decoder (mysql_rowimage.c, binary row images) both write values
 * exactly as described here, so a row fetched and the same row streamed are
 * byte-identical in canonical form.
 *
 * Canonical forms, by kind (what the value looks like before COPY-escaping):
 *   MYV_INT, MYV_UINT  decimal digits, '-' for negatives: "-128", "18446744073709551615"
 *   MYV_BOOL           TINYINT(1): "t" for 1, "f" for 0; any other value is an error
 *   MYV_DECIMAL        plain decimal with exactly `scale` fraction digits, no exponent:
 *                      "-0.50", "12345", "0.000"
 *   MYV_FLOAT          FLOAT (float4): shortest text that reads back to the same float ("%.9g"
 *                      trimmed is acceptable if it round-trips; "NaN"/"Infinity" cannot occur)
 *   MYV_DOUBLE         DOUBLE (float8): text that reads back to the same double ("%.17g" or shortest)
 *   MYV_BIT            BIT(n): exactly n characters '0'/'1', most significant bit first
 *   MYV_TEXT           CHAR/VARCHAR/TEXT: the characters in UTF-8 (converted from the column's
 *                      charset); CHAR(n) without trailing pad spaces (MySQL's default PAD
 *                      semantics strip them on read); a NUL character is an error
 *   MYV_BYTES          BINARY/VARBINARY/BLOB: "\x" then two lowercase hex digits per byte;
 *                      BINARY(n) is always exactly n bytes (right-padded with 0x00)
 *   MYV_DATE           "YYYY-MM-DD"
 *   MYV_DATETIME       "YYYY-MM-DD HH:MM:SS" plus ".ffffff" cut to the column's fsp digits when
 *                      fsp > 0 (always fsp digits, zeros kept): "2024-02-29 13:05:09.120"
 *   MYV_TIMESTAMP      as MYV_DATETIME, in UTC, followed by "+00"
 *   MYV_TIME           "[-]H+:MM:SS[.f{fsp}]", hours not wrapped: "838:59:59", "-00:00:01.5"
 *                      (fsp digits as for DATETIME)
 *   MYV_YEAR           "1901".."2155", or "0" for YEAR 0000
 *   MYV_ENUM           the label, as text (index 0, the empty invalid value, is an error)
 *   MYV_SET            a PostgreSQL text[] literal: "{}" or "{a,b}" in the set's definition order,
 *                      each element double-quoted when it is empty or contains one of
 *                      `{}",\` or white space, with `"` and `\` backslash-escaped
 *   MYV_JSON           the JSON document as text (MariaDB stores JSON as text; MySQL 8's binary
 *                      JSON is converted to text)
 * Zero dates ("0000-00-00", a zero month or day) in DATE/DATETIME/TIMESTAMP are an error that
 * names the table, column and key, unless zero_dates_null is set: then they are NULL.
 */
#ifndef GW_MYSQL_COLUMN_H
#define GW_MYSQL_COLUMN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum MyValueKind {
    MYV_INT,
    MYV_UINT,
    MYV_BOOL,
    MYV_DECIMAL,
    MYV_FLOAT,
    MYV_DOUBLE,
    MYV_BIT,
    MYV_TEXT,
    MYV_BYTES,
    MYV_DATE,
    MYV_DATETIME,
    MYV_TIMESTAMP,
    MYV_TIME,
    MYV_YEAR,
    MYV_ENUM,
    MYV_SET,
    MYV_JSON,
} MyValueKind;

/* Character sets a text column may use; others are refused by describe() with a clear error. */
typedef enum MyCharset {
    MYCS_UTF8,      /* utf8mb4, utf8mb3 (utf8), ascii: bytes pass through */
    MYCS_LATIN1,    /* MySQL's latin1, which is Windows-1252 */
    MYCS_BINARY,
} MyCharset;

typedef struct MyColumn {
    char *name;
    MyValueKind kind;
    MyCharset charset;
    int length;             /* CHAR(n)/BINARY(n): n (characters / bytes); BIT(n): n bits */
    int precision;          /* DECIMAL: digits */
    int scale;              /* DECIMAL: fraction digits; DATETIME/TIMESTAMP/TIME: fsp */
    char **labels;          /* ENUM/SET labels in definition order, as UTF-8 */
    size_t nlabels;
    bool generated;         /* a generated column: not copied, not streamed */
    bool zero_dates_null;   /* --zero-dates null */
    bool zero_default;      /* DATE, DATETIME, TIMESTAMP: its default is a zero date */
    bool int8_checked;      /* MYV_UINT stored as bigint (--unsigned-bigint int8, or --type-map): a value
                             * above 9223372036854775807 is an error naming table, column and key */
} MyColumn;

#endif
