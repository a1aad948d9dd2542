/*
 * mem.c: allocation that never returns NULL (see mem.h).
 */
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
gw_oom(size_t n)
{
    fprintf(stderr, "godwit: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
gw_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : gw_oom(n);
}

void *
gw_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : gw_oom(count * size);
}

void *
gw_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : gw_oom(n);
}

char *
gw_strdup(const char *s)
{
    return gw_strndup(s, strlen(s));
}

char *
gw_strndup(const char *s, size_t n)
{
    char *p = gw_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
gw_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *p = gw_malloc((size_t) n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void
gw_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    *items = gw_realloc(*items, n * elem_size);
    *cap = n;
}
