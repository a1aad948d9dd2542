/*
 * row_reader.h: the rows of an engine's read (SourceOps.scan_begin or
 * copy_out_begin, in COPY text) one at a time, each as its escaped line and,
 * on demand, its unescaped values.  verify compares them; preflight's probe
 * copies and applies them.
 */
#ifndef GW_ROW_READER_H
#define GW_ROW_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "util/strbuf.h"

/* One row in canonical form: values unescaped, NULL for SQL NULL. */
typedef struct TextRow {
    char **vals;
    size_t *lens;
    size_t n;
} TextRow;

typedef struct RowReader {
    EngineConn *conn;
    const char *chunk;
    int len, pos;
    bool done;
    StrBuf line;            /* the current row as read, COPY-escaped */
    bool parsed;            /* row below holds it */
    StrBuf store;           /* the current row's unescaped values, each NUL-terminated */
    size_t *offs;           /* per value: offset in store, or SIZE_MAX for NULL */
    size_t cap;
    TextRow row;            /* points into store; valid until the next read */
} RowReader;

/* conn's read has begun (NULL: rows are fed otherwise). */
void row_reader_init(RowReader *r, EngineConn *conn);
void row_reader_free(RowReader *r);
/* The next row of the read in progress; *got false at its end. */
GwResult row_reader_next(RowReader *r, bool *got) GW_MUST_CHECK;
/* The current row's values, split and unescaped on first use; valid until the next row. */
const TextRow *row_reader_row(RowReader *r);
/* Whether both current rows are the same bytes: then, columns being alike, they are equal. */
bool row_reader_same_line(const RowReader *a, const RowReader *b);

#endif
