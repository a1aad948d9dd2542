/*
 * strbuf.h: a growable NUL-terminated string, used to build SQL and reports.
 * The buffer owns its memory; strbuf_take() hands it to the caller.
 */
#ifndef GW_STRBUF_H
#define GW_STRBUF_H

#include <stddef.h>

typedef struct StrBuf {
    char *data;
    size_t len;
    size_t cap;
} StrBuf;

void strbuf_init(StrBuf *sb);
void strbuf_free(StrBuf *sb);
void strbuf_reset(StrBuf *sb);
void strbuf_append(StrBuf *sb, const char *s);
void strbuf_append_n(StrBuf *sb, const char *s, size_t n);
void strbuf_append_char(StrBuf *sb, char c);
void strbuf_appendf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (len bytes) as an element of a PostgreSQL array literal: double-quoted, " and \ escaped by a backslash. */
void strbuf_append_array_element(StrBuf *sb, const char *s, size_t len);
/* s between two q characters, each q inside doubled (SQL identifiers and literals); caller frees. */
char *str_quote(const char *s, char q);
/* Returns the string, which the caller frees; sb is released (init it to reuse). */
char *strbuf_take(StrBuf *sb);

#endif
