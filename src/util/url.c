/*
 * url.c: URL scheme detection, and finding the passwords in a connection
 * string so that none is ever printed or left readable in the process list.
 *
 * A connection string comes in several forms, and a malformed one must not
 * leak either: URLs (scheme://user:password@host/...?password=...), libpq
 * keyword/value strings (host=h password='x y'), and anything else holding
 * user:password@host.  Every function here finds the same secret spans
 * (url_secret_spans); when in doubt a span is made larger, never smaller:
 * hiding a host by mistake is harmless, printing a password is not.
 */
#include "util/url.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"
#include "util/mem.h"
#include "util/strbuf.h"

UrlScheme
url_scheme(const char *url)
{
    if (!strncasecmp(url, "postgres://", 11) || !strncasecmp(url, "postgresql://", 13))
        return URL_SCHEME_POSTGRES;
    if (!strncasecmp(url, "mysql://", 8) || !strncasecmp(url, "mariadb://", 10))
        return URL_SCHEME_MYSQL;
    return URL_SCHEME_UNKNOWN;
}

/* ------------------------------------------------------------------ spans */

typedef struct Spans {
    UrlSpan *v;
    size_t n;
    size_t cap;
} Spans;

static void
add_span(Spans *s, size_t start, size_t end)
{
    if (end <= start)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->v = gw_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (UrlSpan) {start, end};
}

static void find_spans(const char *s, size_t off, size_t len, Spans *out, int depth);

/* "password=VALUE" parameters of a URL's query [q, q + len). */
static void
query_spans(const char *base, size_t q, size_t len, Spans *out)
{
    size_t i = q, end = q + len;
    while (i < end) {
        size_t amp = i;
        while (amp < end && base[amp] != '&')
            amp++;
        if (amp - i >= 9 && !strncasecmp(base + i, "password=", 9))
            add_span(out, i + 9, amp);
        i = amp + 1;
    }
}

/*
 * Where a URL's userinfo ends: the last '@' before the query (passwords may
 * hold '@' and '/').  A password holding '?' unencoded is malformed; it is
 * still found when nothing but user:password can come before the '@'.
 */
static const char *
userinfo_end(const char *rest, size_t len)
{
    const char *qmark = memchr(rest, '?', len);
    size_t head = qmark ? (size_t) (qmark - rest) : len;
    const char *at = NULL;
    for (size_t i = 0; i < head; i++)
        if (rest[i] == '@')
            at = rest + i;
    if (at || !qmark)
        return at;
    const char *colon = memchr(rest, ':', head);
    if (!colon || memchr(rest, '/', head))
        return NULL;
    for (size_t i = head; i < len; i++)
        if (rest[i] == '@')
            at = rest + i;
    return at;
}

static void
url_spans(const char *s, size_t off, size_t len, size_t rest_off, Spans *out)
{
    const char *rest = s + rest_off;
    size_t rest_len = off + len - rest_off;
    const char *at = userinfo_end(rest, rest_len);
    size_t after = rest_off;
    if (at) {
        const char *colon = memchr(rest, ':', (size_t) (at - rest));
        if (colon)
            add_span(out, (size_t) (colon + 1 - s), (size_t) (at - s));
        after = (size_t) (at + 1 - s);
    }
    const char *q = memchr(s + after, '?', off + len - after);
    if (q)
        query_spans(s, (size_t) (q + 1 - s), off + len - (size_t) (q + 1 - s), out);
}

/* libpq's keyword = value syntax: a value is 'quoted' (with \' and \\) or runs to the next space. */
static size_t
value_end(const char *s, size_t i, size_t end)
{
    if (i < end && s[i] == '\'') {
        for (i++; i < end && s[i] != '\''; i++)
            if (s[i] == '\\' && i + 1 < end)
                i++;
        return i < end ? i + 1 : end;
    }
    for (; i < end && !isspace((unsigned char) s[i]); i++)
        if (s[i] == '\\' && i + 1 < end)
            i++;
    return i;
}

static void
keyword_spans(const char *s, size_t off, size_t len, Spans *out, int depth)
{
    size_t i = off, end = off + len;
    bool after_password = false;    /* words without '=' after a password: the rest of it, unquoted */
    while (i < end) {
        while (i < end && isspace((unsigned char) s[i]))
            i++;
        size_t k = i;
        while (i < end && s[i] != '=' && !isspace((unsigned char) s[i]))
            i++;
        size_t key_end = i;
        bool is_password = i - k == 8 && !strncasecmp(s + k, "password", 8);
        while (i < end && isspace((unsigned char) s[i]))
            i++;
        if (i < end && s[i] == '=') {
            i++;
            while (i < end && isspace((unsigned char) s[i]))
                i++;
        } else if (!is_password) {
            /* "missing =": libpq quotes this word in its error */
            if (after_password)
                add_span(out, k, key_end);
            i = key_end;
            continue;
        }
        size_t v = i;
        i = value_end(s, i, end);
        after_password = is_password;
        if (is_password)
            add_span(out, v, i);
        else if (depth < 2 && i - v >= 2 && s[v] == '\'' && s[i - 1] == '\'')
            find_spans(s, v + 1, i - v - 2, out, depth + 1);   /* dbname may hold a whole connection string */
        else if (depth < 2)
            find_spans(s, v, i - v, out, depth + 1);
    }
}

/* user:password@host with no "://" (a typo) or no scheme: everything from the first ':' to the last '@'. */
static void
loose_spans(const char *s, size_t off, size_t len, Spans *out)
{
    const char *colon = memchr(s + off, ':', len);
    const char *at = NULL;
    for (size_t i = off; i < off + len; i++)
        if (s[i] == '@')
            at = s + i;
    if (colon && at && colon < at)
        add_span(out, (size_t) (colon + 1 - s), (size_t) (at - s));
}

static void
find_spans(const char *s, size_t off, size_t len, Spans *out, int depth)
{
    /* A scheme: letters, digits, '+', '-', '.' before "://". */
    size_t i = off;
    while (i < off + len && (isalnum((unsigned char) s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i > off && i + 3 <= off + len && !memcmp(s + i, "://", 3))
        url_spans(s, off, len, i + 3, out);
    else if (memchr(s + off, '=', len))
        keyword_spans(s, off, len, out, depth);
    else
        loose_spans(s, off, len, out);
}

static int
span_cmp(const void *a, const void *b)
{
    const UrlSpan *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

size_t
url_secret_spans(const char *s, UrlSpan **out)
{
    Spans sp = {0};
    find_spans(s, 0, strlen(s), &sp, 0);
    if (sp.n > 1)
        qsort(sp.v, sp.n, sizeof *sp.v, span_cmp);
    *out = sp.v;
    return sp.n;
}

/* ------------------------------------------------------------------ users */

char *
url_redact(const char *url)
{
    UrlSpan *sp;
    size_t n = url_secret_spans(url, &sp);
    StrBuf sb;
    strbuf_init(&sb);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].start < at)
            continue;
        strbuf_append_n(&sb, url + at, sp[i].start - at);
        strbuf_append(&sb, "***");
        at = sp[i].end;
    }
    strbuf_append(&sb, url + at);
    free(sp);
    return strbuf_take(&sb);
}

bool
url_mask_in_place(char *s)
{
    UrlSpan *sp;
    size_t n = url_secret_spans(s, &sp);
    for (size_t i = 0; i < n; i++)
        memset(s + sp[i].start, '*', sp[i].end - sp[i].start);
    free(sp);
    return n > 0;
}

static char *
percent_decoded(const char *text, size_t len)
{
    char *out = gw_malloc(len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        int hi = text[i] == '%' && i + 2 < len ? hex_digit_value(text[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit_value(text[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            *o++ = (char) (hi * 16 + lo);
            i += 2;
        } else {
            *o++ = text[i];
        }
    }
    *o = '\0';
    return out;
}

/* A keyword value as libpq reads it: quotes removed, backslash escapes undone. */
static char *
unquoted(const char *text, size_t len)
{
    if (len >= 1 && text[0] == '\'') {
        text++;
        len -= len >= 2 && text[len - 2] == '\'' ? 2 : 1;
    }
    char *out = gw_malloc(len + 1), *o = out;
    for (size_t i = 0; i < len; i++)
        *o++ = text[i] == '\\' && i + 1 < len ? text[++i] : text[i];
    *o = '\0';
    return out;
}

/* A span's text as it may appear in a message: as written, percent-decoded, unquoted. */
static void
add_secret_forms(char ***v, size_t *n, const char *text, size_t len)
{
    *v = gw_realloc(*v, (*n + 3) * sizeof **v);
    (*v)[(*n)++] = gw_strndup(text, len);
    (*v)[(*n)++] = percent_decoded(text, len);
    (*v)[(*n)++] = unquoted(text, len);
}

/* Replaces every occurrence of needle (non-empty) in *msg. */
static void
replace_all(char **msg, const char *needle, const char *with)
{
    size_t nl = strlen(needle);
    if (nl == 0 || !strstr(*msg, needle))
        return;
    StrBuf sb;
    strbuf_init(&sb);
    const char *p = *msg, *hit;
    while ((hit = strstr(p, needle))) {
        strbuf_append_n(&sb, p, (size_t) (hit - p));
        strbuf_append(&sb, with);
        p = hit + nl;
    }
    strbuf_append(&sb, p);
    free(*msg);
    *msg = strbuf_take(&sb);
}

/* A "quoted" or 'quoted' fragment of msg that is part of a secret (a parser quoting a piece of a password). */
static void
hide_quoted_fragments(char **msg, char quote, char **secrets, size_t n)
{
    StrBuf sb;
    strbuf_init(&sb);
    const char *p = *msg;
    const char *q;
    while ((q = strchr(p, quote))) {
        const char *e = strchr(q + 1, quote);
        if (!e)
            break;
        char *frag = gw_strndup(q + 1, (size_t) (e - q - 1));
        bool secret = false;
        for (size_t i = 0; *frag && i < n && !secret; i++)
            secret = *secrets[i] && strstr(secrets[i], frag) != NULL;
        free(frag);
        strbuf_append_n(&sb, p, (size_t) (q - p) + 1);
        if (secret)
            strbuf_append(&sb, "***");
        else
            strbuf_append_n(&sb, q + 1, (size_t) (e - q - 1));
        strbuf_append_char(&sb, quote);
        p = e + 1;
    }
    strbuf_append(&sb, p);
    free(*msg);
    *msg = strbuf_take(&sb);
}

char *
url_scrub(const char *msg, const char *conninfo)
{
    char *out = gw_strdup(msg);
    if (!conninfo || !*conninfo)
        return out;
    char *redacted = url_redact(conninfo);
    replace_all(&out, conninfo, redacted);
    free(redacted);
    UrlSpan *sp;
    size_t n = url_secret_spans(conninfo, &sp);
    char **secrets = NULL;
    size_t nsecrets = 0;
    for (size_t i = 0; i < n; i++)
        add_secret_forms(&secrets, &nsecrets, conninfo + sp[i].start, sp[i].end - sp[i].start);
    for (size_t i = 0; i < nsecrets; i++)
        replace_all(&out, secrets[i], "***");
    hide_quoted_fragments(&out, '"', secrets, nsecrets);
    hide_quoted_fragments(&out, '\'', secrets, nsecrets);
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    free(secrets);
    free(sp);
    return out;
}
