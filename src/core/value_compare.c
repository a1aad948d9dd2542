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

#define DAY_MICROS ((int64_t) 86400 * 1000000)

/*
 * PostgreSQL's interval without months ("[-]N day[s] [+|-]H:MM:SS[.f]",
 * either part alone) as signed microseconds, a day as 24 hours: an interval
 * that holds a MySQL TIME.  False with months or years (not durations).
 */
static bool
hours_micros(const char *s, int64_t *out)
{
    int64_t days = 0;
    char *end;
    long long d = strtoll(s, &end, 10);
    if (end != s && !strncmp(end, " day", 4)) {
        days = d;
        s = end + 4 + (end[4] == 's');
        if (!*s) {
            *out = days * DAY_MICROS;
            return true;
        }
        if (*s++ != ' ')
            return false;
        s += *s == '+';
    }
    int64_t t;
    if (!duration_micros(s, &t))
        return false;
    *out = days * DAY_MICROS + t;
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
    case VALUE_CLASS_HOURS: {
        int64_t x, y;
        return hours_micros(a, &x) && hours_micros(b, &y) && x == y;
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

/* ------------------------------------------------------------------------------------------- canonical */

static void
canonical_decimal(const char *v, size_t len, StrBuf *out)
{
    Decimal d;
    if (!decimal_parse(v, &d)) {
        strbuf_append_n(out, v, len);
        return;
    }
    if (d.sign < 0)
        strbuf_append_char(out, '-');
    if (d.ilen)
        strbuf_append_n(out, d.ip, d.ilen);
    else
        strbuf_append_char(out, '0');
    if (d.flen) {
        strbuf_append_char(out, '.');
        strbuf_append_n(out, d.fp, d.flen);
    }
}

static void
canonical_float(const char *v, size_t len, StrBuf *out)
{
    char *end;
    double x = strtod(v, &end);
    if (*end || end == v)
        strbuf_append_n(out, v, len);
    else if (isnan(x))
        strbuf_append(out, "nan");
    else
        strbuf_appendf(out, "%a", x);
}

/* A JSON number as value_equal sees it: integers exactly, others as doubles (1.0 is 1). */
static void
canonical_json_value(const json_t *j, StrBuf *out)
{
    if (json_is_integer(j)) {
        strbuf_appendf(out, "%lld", (long long) json_integer_value(j));
    } else if (json_is_real(j)) {
        double x = json_real_value(j);
        if (x == (double) (long long) x && fabs(x) < 9.2e18)
            strbuf_appendf(out, "%lld", (long long) x);
        else
            strbuf_appendf(out, "%a", x);
    } else if (json_is_array(j)) {
        strbuf_append_char(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                strbuf_append_char(out, ',');
            canonical_json_value(json_array_get(j, i), out);
        }
        strbuf_append_char(out, ']');
    } else if (json_is_object(j)) {
        /* Keys in byte order. */
        size_t n = json_object_size(j), k = 0;
        const char **keys = gw_calloc(n + 1, sizeof *keys);
        const char *key;
        json_t *val;
        json_object_foreach((json_t *) j, key, val) keys[k++] = key;
        qsort(keys, n, sizeof *keys, cmp_strings);
        strbuf_append_char(out, '{');
        for (size_t i = 0; i < n; i++) {
            json_t *name = json_string(keys[i]);
            char *q = json_dumps(name, JSON_ENCODE_ANY);
            strbuf_appendf(out, "%s%s:", i ? "," : "", q ? q : "");
            free(q);
            json_decref(name);
            canonical_json_value(json_object_get(j, keys[i]), out);
        }
        strbuf_append_char(out, '}');
        free(keys);
    } else {
        char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        strbuf_append(out, text ? text : "");
        free(text);
    }
}

static void
canonical_json(const char *v, size_t len, StrBuf *out)
{
    json_t *j = json_loadb(v, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j)
        strbuf_append_n(out, v, len);
    else
        canonical_json_value(j, out);
    json_decref(j);
}

/* The instant in UTC, fixed width, so that byte order is time order (years 1000 to 9999). */
static void
canonical_timestamp(const char *v, size_t len, StrBuf *out)
{
    int64_t micros;
    struct tm tm;
    if (!timestamp_micros(v, &micros)) {
        strbuf_append_n(out, v, len);
        return;
    }
    int64_t secs = micros / 1000000, frac = micros % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    time_t t = (time_t) secs;
    if (!gmtime_r(&t, &tm)) {
        strbuf_append_n(out, v, len);
        return;
    }
    strbuf_appendf(out, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, (long long) frac);
}

static void
canonical_set(const char *v, size_t len, StrBuf *out)
{
    char **m;
    int n = array_elements(v, len, &m);
    if (n < 0) {
        strbuf_append_n(out, v, len);
        return;
    }
    n = as_set(m, n);
    strbuf_append_char(out, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            strbuf_append_char(out, ',');
        strbuf_append_array_element(out, m[i], strlen(m[i]));
    }
    strbuf_append_char(out, '}');
    free_elements(m, n);
}

void
value_canonical(ValueClass cls, const char *v, size_t len, StrBuf *out)
{
    int64_t micros;
    switch (cls) {
    case VALUE_CLASS_NUMERIC: canonical_decimal(v, len, out); return;
    case VALUE_CLASS_FLOAT: canonical_float(v, len, out); return;
    case VALUE_CLASS_JSON: canonical_json(v, len, out); return;
    case VALUE_CLASS_TIMESTAMP: canonical_timestamp(v, len, out); return;
    case VALUE_CLASS_SET: canonical_set(v, len, out); return;
    case VALUE_CLASS_DURATION:
    case VALUE_CLASS_HOURS:
        if (cls == VALUE_CLASS_DURATION ? duration_micros(v, &micros) : hours_micros(v, &micros))
            strbuf_appendf(out, "%lld", (long long) micros);
        else
            strbuf_append_n(out, v, len);
        return;
    case VALUE_CLASS_PADDED:
        while (len && v[len - 1] == ' ')
            len--;
        strbuf_append_n(out, v, len);
        return;
    default: strbuf_append_n(out, v, len); return;
    }
}
