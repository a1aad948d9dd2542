/*
 * mem.h: the one allocation wrapper.  Out of memory is not recoverable for a
 * migration tool that holds open transactions, so these abort with a message
 * instead of returning NULL; callers never check for NULL.
 */
#ifndef GW_MEM_H
#define GW_MEM_H

#include <stddef.h>

void *gw_malloc(size_t n);
void *gw_calloc(size_t count, size_t size);
void *gw_realloc(void *p, size_t n);
char *gw_strdup(const char *s);
char *gw_strndup(const char *s, size_t n);
char *gw_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *items (of *cap elements of elem_size) so that it holds at least need. */
void gw_grow(void **items, size_t *cap, size_t need, size_t elem_size);

#endif
