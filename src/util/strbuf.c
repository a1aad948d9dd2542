/*
 * strbuf.c: growable string (see strbuf.h).
 */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
strbuf_init(StrBuf *sb)
{
    sb->cap = 64;
    sb->len = 0;
    sb->data = gw_malloc(sb->cap);
    sb->data[0] = '\0';
}

void
strbuf_free(StrBuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void
strbuf_reset(StrBuf *sb)
{
    sb->len = 0;
    sb->data[0] = '\0';
}

static void
strbuf_reserve(StrBuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    sb->data = gw_realloc(sb->data, cap);
    sb->cap = cap;
}

void
strbuf_append_n(StrBuf *sb, const char *s, size_t n)
{
    strbuf_reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void
strbuf_append(StrBuf *sb, const char *s)
{
    strbuf_append_n(sb, s, strlen(s));
}

void
strbuf_append_char(StrBuf *sb, char c)
{
    strbuf_append_n(sb, &c, 1);
}

void
strbuf_appendf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    strbuf_reserve(sb, (size_t) n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t) n;
}

char *
strbuf_take(StrBuf *sb)
{
    char *s = sb->data;
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void
strbuf_append_array_element(StrBuf *sb, const char *s, size_t len)
{
    strbuf_append_char(sb, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"' && s[i] != '\\')
            continue;
        strbuf_append_n(sb, s + run, i - run);
        strbuf_append_char(sb, '\\');
        run = i;
    }
    strbuf_append_n(sb, s + run, len - run);
    strbuf_append_char(sb, '"');
}

char *
str_quote(const char *s, char q)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, q);
    for (const char *p = s; *p; p++) {
        if (*p == q)
            strbuf_append_char(&sb, q);
        strbuf_append_char(&sb, *p);
    }
    strbuf_append_char(&sb, q);
    return strbuf_take(&sb);
}
