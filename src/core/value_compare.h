/*
 * value_compare.h: type-aware equality and key order of canonical values
 * (DESIGN.md, "One value model"), for verify.
 *
 * Values are canonical text, unescaped (COPY escapes removed); NULL is a
 * NULL pointer.  Two engines may write one value differently (a DECIMAL's
 * scale, a JSON document's spacing and key order, a timestamp's offset):
 * equality is that of the values, by the class of the column's type.
 */
#ifndef GW_VALUE_COMPARE_H
#define GW_VALUE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

typedef enum ValueClass {
    VALUE_CLASS_EXACT,      /* byte for byte: text, bytea, arrays, anything not below */
    VALUE_CLASS_NUMERIC,    /* integers and decimals, by value: "1.50" = "1.5" */
    VALUE_CLASS_FLOAT,      /* float4/float8: bit-exact, or within a relative tolerance */
    VALUE_CLASS_JSON,       /* by structure: key order and spacing do not matter */
    VALUE_CLASS_TIMESTAMP,  /* timestamp/timestamptz: the instant, in UTC, at microseconds */
    VALUE_CLASS_PADDED,     /* character(n): trailing spaces do not count (PostgreSQL pads, MySQL strips) */
    VALUE_CLASS_SET,        /* an array of distinct members in any order ({a,b} = {b,a}): MySQL's SET */
    VALUE_CLASS_DURATION,   /* interval as a time of day or a MySQL TIME ("-838:59:59.000000"): by microseconds */
    VALUE_CLASS_HOURS,      /* an interval holding a MySQL TIME: the same, a day as 24 hours ("1 day 02:00:00" =
                             * "26:00:00"); one with months is compared as text */
} ValueClass;

/* The class of a PostgreSQL type, by its name as catalog type_sql writes it ("numeric(12,2)", "jsonb"). */
ValueClass value_class_of(const char *type_sql);

/* Equality of two values of one class; tolerance applies to VALUE_CLASS_FLOAT (< 0: bit-exact). */
bool value_equal(ValueClass cls, const char *a, size_t alen, const char *b, size_t blen, double tolerance);

/*
 * One spelling per value of the class, appended to out: what keys are
 * matched by and rows without a key are hashed by, so that two values are
 * value_equal (bit-exact floats) exactly when their canonical texts are the
 * same bytes.  A timestamp becomes its UTC instant "YYYY-MM-DD
 * HH:MM:SS.ffffff", so that keys keep their order; a value that does not
 * parse as its class stays as it is.  v is NUL-terminated at len.
 */
void value_canonical(ValueClass cls, const char *v, size_t len, StrBuf *out);

/* Order of two decimal numbers written in plain notation ("-12.50"): <0, 0, >0. */
int value_numeric_cmp(const char *a, const char *b);

#endif
