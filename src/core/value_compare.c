/*
 * value_compare.c: equality of canonical values by the class of their type.
 * The fast path is byte equality; a class only parses when bytes differ.
 */
#include "core/value_compare.h"

#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static bool
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

ValueClass
value_class_of(const char *type_sql)
{
    const char *t = type_sql;
    const char *dot = strrchr(t, '.');
    if (dot && !strchr(dot, '('))
        t = dot + 1;
    if (strchr(t, '['))
        return VALUE_CLASS_EXACT;
    static const char *const numeric[] = {"smallint", "integer", "bigint", "int2", "int4", "int8", "int",
                                          "numeric", "decimal", "oid"};
    for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++)
        if (starts_with(t, numeric[i]) && !isalnum((unsigned char) t[strlen(numeric[i])]) &&
            t[strlen(numeric[i])] != '_')
            return VALUE_CLASS_NUMERIC;
    if (starts_with(t, "real") || starts_with(t, "double precision") || starts_with(t, "float"))
        return VALUE_CLASS_FLOAT;
    if (!strcmp(t, "json") || !strcmp(t, "jsonb"))
        return VALUE_CLASS_JSON;
    if (starts_with(t, "timestamp"))
        return VALUE_CLASS_TIMESTAMP;
    if (starts_with(t, "interval"))
        return VALUE_CLASS_DURATION;
    if ((starts_with(t, "character") && !starts_with(t, "character varying")) || starts_with(t, "bpchar") ||
        (starts_with(t, "char") && !starts_with(t, "character")))
        return VALUE_CLASS_PADDED;
    return VALUE_CLASS_EXACT;
}

/* A plain decimal split into sign, integer digits without leading zeros and fraction without trailing ones. */
typedef struct Decimal {
    int sign;
    const char *ip;
    size_t ilen;
    const char *fp;
    size_t flen;
} Decimal;

static bool
decimal_parse(const char *s, Decimal *d)
{
    d->sign = 1;
    if (*s == '-' || *s == '+')
        d->sign = *s++ == '-' ? -1 : 1;
    while (*s == '0' && isdigit((unsigned char) s[1]))
        s++;
    d->ip = s;
    while (isdigit((unsigned char) *s))
        s++;
    d->ilen = (size_t) (s - d->ip);
    if (d->ilen == 1 && d->ip[0] == '0')
        d->ilen = 0;
    d->fp = "";
    d->flen = 0;
    if (*s == '.') {
        d->fp = ++s;
        while (isdigit((unsigned char) *s))
            s++;
        d->flen = (size_t) (s - d->fp);
        while (d->flen && d->fp[d->flen - 1] == '0')
            d->flen--;
    }
    if (*s)
        return false;
    if (d->ilen == 0 && d->flen == 0)
        d->sign = 1;    /* -0 is 0 */
    return true;
}

static int
magnitude_cmp(const Decimal *a, const Decimal *b)
{
    if (a->ilen != b->ilen)
        return a->ilen < b->ilen ? -1 : 1;
    int c = memcmp(a->ip, b->ip, a->ilen);
    if (c)
        return c;
    size_t n = a->flen < b->flen ? a->flen : b->flen;
    c = memcmp(a->fp, b->fp, n);
    if (c)
        return c;
    return a->flen == b->flen ? 0 : a->flen < b->flen ? -1 : 1;
}

int
value_numeric_cmp(const char *a, const char *b)
{
    Decimal x, y;
    if (!decimal_parse(a, &x) || !decimal_parse(b, &y))
        return strcmp(a, b);
    if (x.sign != y.sign)
        return x.sign < y.sign ? -1 : 1;
    return x.sign * magnitude_cmp(&x, &y);
}

static bool
float_equal(const char *a, const char *b, double tolerance)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*ea || *eb)
        return false;
    if (tolerance < 0)
        return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y));
    if (isnan(x) || isnan(y) || isinf(x) || isinf(y))
        return (isnan(x) && isnan(y)) || x == y;
    double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    return fabs(x - y) <= tolerance * (scale > 1 ? scale : 1);
}

/* JSON equality with numbers compared by value (1 = 1.0), objects by key set. */
static bool
json_same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) a, key, v) {
            json_t *w = json_object_get(b, key);
            if (!w || !json_same(v, w))
                return false;
        }
        return true;
    }
    return json_equal((json_t *) a, (json_t *) b);
}

static bool
json_text_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    json_t *x = json_loadb(a, alen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *y = x ? json_loadb(b, blen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    bool same = x && y && json_same(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]" as microseconds since 1970 UTC; false if not that form. */
static bool
timestamp_micros(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &n) != 6)
        return false;
    s += n;
    int64_t micros = 0;
    if (*s == '.') {
        int digits = 0;
        for (s++; isdigit((unsigned char) *s); s++, digits++)
            if (digits < 6)
                micros = micros * 10 + (*s - '0');
        for (; digits < 6; digits++)
            micros *= 10;
    }
    int64_t offset = 0;
    if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, h = 0, m = 0, sec = 0;
        if (sscanf(s + 1, "%2d:%2d:%2d", &h, &m, &sec) < 1)
            return false;
        offset = sign * ((int64_t) h * 3600 + m * 60 + sec);
        s += 1 + strspn(s + 1, "0123456789:");
    }
    if (*s)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = ((int64_t) timegm(&tm) - offset) * 1000000 + micros;
    return true;
}

/* Fractional seconds ".ffffff" as microseconds (at most 6 digits kept); s is past them after. */
static int64_t
fraction_micros(const char **s)
{
    int64_t micros = 0;
    int digits = 0;
    if (**s != '.')
        return 0;
    for ((*s)++; isdigit((unsigned char) **s); (*s)++, digits++)
        if (digits < 6)
            micros = micros * 10 + (**s - '0');
    for (; digits < 6 && digits > 0; digits++)
        micros *= 10;
    return micros;
}

/*
 * "[-]H:MM:SS[.ffffff]" (hours unbounded: MySQL's TIME, PostgreSQL's
 * interval of hours) as signed microseconds; false if not that form (an
 * interval with days or months is compared as text).
 */
static bool
duration_micros(const char *s, int64_t *out)
{
    int sign = 1;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    long long h;
    int m, sec, n = 0;
    if (sscanf(s, "%9lld:%2d:%2d%n", &h, &m, &sec, &n) != 3 || h < 0)
        return false;
    s += n;
    int64_t micros = fraction_micros(&s);
    if (*s)
        return false;
    *out = sign * ((((int64_t) h * 60 + m) * 60 + sec) * 1000000 + micros);
    return true;
}

bool
value_equal(ValueClass cls, const char *a, size_t alen, const char *b, size_t blen, double tolerance)
{
    if (!a || !b)
        return !a && !b;
    if (alen == blen && memcmp(a, b, alen) == 0)
        return true;
    switch (cls) {
    case VALUE_CLASS_NUMERIC: {
        Decimal x, y;
        return decimal_parse(a, &x) && decimal_parse(b, &y) && x.sign == y.sign && magnitude_cmp(&x, &y) == 0;
    }
    case VALUE_CLASS_FLOAT: return float_equal(a, b, tolerance);
    case VALUE_CLASS_JSON: return json_text_equal(a, alen, b, blen);
    case VALUE_CLASS_TIMESTAMP: {
        int64_t x, y;
        return timestamp_micros(a, &x) && timestamp_micros(b, &y) && x == y;
    }
    case VALUE_CLASS_DURATION: {
        int64_t x, y;
        return duration_micros(a, &x) && duration_micros(b, &y) && x == y;
    }
    case VALUE_CLASS_PADDED:
        while (alen && a[alen - 1] == ' ')
            alen--;
        while (blen && b[blen - 1] == ' ')
            blen--;
        return alen == blen && memcmp(a, b, alen) == 0;
    default: return false;
    }
}
