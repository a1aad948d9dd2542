/*
 * row_reader.c: COPY text rows of an engine's read (row_reader.h).
 */
#include "flow/row_reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
row_reader_init(RowReader *r, EngineConn *conn)
{
    memset(r, 0, sizeof *r);
    r->conn = conn;
    strbuf_init(&r->line);
    strbuf_init(&r->store);
}

void
row_reader_free(RowReader *r)
{
    strbuf_free(&r->line);
    strbuf_free(&r->store);
    free(r->offs);
    free(r->row.vals);
    free(r->row.lens);
}

static char
unescape_char(char c)
{
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return c;
    }
}

static void
add_value(RowReader *r, size_t n, size_t off)
{
    if (n + 1 > r->cap) {
        r->cap = (n + 1) * 2;
        r->offs = gw_realloc(r->offs, r->cap * sizeof *r->offs);
        r->row.vals = gw_realloc(r->row.vals, r->cap * sizeof *r->row.vals);
        r->row.lens = gw_realloc(r->row.lens, r->cap * sizeof *r->row.lens);
    }
    r->offs[n] = off;
}

/* Splits one COPY text line into values, undoing its escapes. */
static void
parse_line(RowReader *r, const char *p, size_t len)
{
    strbuf_reset(&r->store);
    size_t n = 0;
    const char *end = p + len;
    for (;;) {
        const char *tab = memchr(p, '\t', (size_t) (end - p));
        const char *fend = tab ? tab : end;
        if (fend - p == 2 && p[0] == '\\' && p[1] == 'N') {
            add_value(r, n++, SIZE_MAX);
        } else {
            add_value(r, n++, r->store.len);
            for (const char *q = p; q < fend; q++)
                strbuf_append_char(&r->store, *q == '\\' && q + 1 < fend ? unescape_char(*++q) : *q);
            strbuf_append_char(&r->store, '\0');
        }
        if (!tab)
            break;
        p = tab + 1;
    }
    r->row.n = n;
    for (size_t i = 0; i < n; i++) {
        bool null = r->offs[i] == SIZE_MAX;
        r->row.vals[i] = null ? NULL : r->store.data + r->offs[i];
        r->row.lens[i] = null ? 0 : strlen(r->row.vals[i]);
    }
}

/* The next row of the read in progress; *got false at its end. */
GwResult
row_reader_next(RowReader *r, bool *got)
{
    *got = false;
    strbuf_reset(&r->line);
    for (;;) {
        if (r->pos < r->len) {
            const char *start = r->chunk + r->pos;
            const char *nl = memchr(start, '\n', (size_t) (r->len - r->pos));
            size_t n = nl ? (size_t) (nl - start) : (size_t) (r->len - r->pos);
            strbuf_append_n(&r->line, start, n);
            r->pos += (int) n + (nl ? 1 : 0);
            if (nl) {
                r->parsed = false;
                *got = true;
                return GW_OK;
            }
            continue;
        }
        if (r->done)
            break;
        GwResult rc = r->conn->ops->source->copy_out_next(r->conn, &r->chunk, &r->len);
        r->pos = 0;
        if (rc)
            return rc;
        if (r->len == 0)
            r->done = true;
    }
    r->parsed = false;
    *got = r->line.len > 0;
    return GW_OK;
}

/* The current row's values, split and unescaped on first use. */
const TextRow *
row_reader_row(RowReader *r)
{
    if (!r->parsed) {
        parse_line(r, r->line.data, r->line.len);
        r->parsed = true;
    }
    return &r->row;
}

/* Whether both current rows are the same bytes: then, columns being alike, they are equal. */
bool
row_reader_same_line(const RowReader *a, const RowReader *b)
{
    return a->line.len == b->line.len && memcmp(a->line.data, b->line.data, a->line.len) == 0;
}

