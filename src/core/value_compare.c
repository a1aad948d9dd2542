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

#include "util/mem.h"
#include "util/strbuf.h"

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
    int64_t micros = fraction_micros(&s);
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

/* The elements of an array's text "{a,\"b c\"}", unquoted, into out (caller frees each); -1 if not that form. */
static int
array_elements(const char *s, size_t len, char ***out)
{
    *out = NULL;
    if (len < 2 || s[0] != '{' || s[len - 1] != '}')
        return -1;
    int n = 0;
    const char *p = s + 1, *end = s + len - 1;
    while (p < end) {
        StrBuf el;
        strbuf_init(&el);
        if (*p == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                strbuf_append_char(&el, *p);
            }
            p++;
        } else {
            for (; p < end && *p != ','; p++)
                strbuf_append_char(&el, *p);
        }
        *out = gw_realloc(*out, (size_t) (n + 1) * sizeof **out);
        (*out)[n++] = strbuf_take(&el);
        if (p < end && *p == ',')
            p++;
    }
    return n;
}

static int
cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sorted, without repeats: a set's members. */
static int
as_set(char **v, int n)
{
    if (n < 2)
        return n;
    qsort(v, (size_t) n, sizeof *v, cmp_strings);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && !strcmp(v[m - 1], v[i])) {
            free(v[i]);
            continue;
        }
        v[m++] = v[i];
    }
    return m;
}

static void
free_elements(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool
set_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    char **x, **y;
    int nx = array_elements(a, alen, &x), ny = array_elements(b, blen, &y);
    bool same = nx >= 0 && ny >= 0;
    if (same) {
        nx = as_set(x, nx);
        ny = as_set(y, ny);
        same = nx == ny;
        for (int i = 0; same && i < nx; i++)
            same = !strcmp(x[i], y[i]);
    }
    free_elements(x, nx > 0 ? nx : 0);
    free_elements(y, ny > 0 ? ny : 0);
    return same;
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
    case VALUE_CLASS_SET: return set_equal(a, alen, b, blen);
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
