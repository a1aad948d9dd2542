/*
 * mysql_copy.c: the bulk reader: a shard's rows streamed from the server
 * (mysql_use_result: one row in client memory at a time, never a table)
 * and converted to PostgreSQL COPY text, chunk by chunk, in the canonical
 * value forms of mysql_column.h.
 *
 * The SELECT list asks the server for what it prints exactly and cheaply:
 * the column itself for numbers, dates, times and text (the session's
 * utf8mb4 makes the server convert every character set), CAST(col AS
 * DOUBLE) for FLOAT (the server prints a FLOAT with 6 digits only), col+0
 * for ENUM and SET (index and bitmask, read as labels here, as the binlog
 * stores them).  C does only what must be exact: COPY escaping, hex of
 * bytes and bits of BIT values (one table lookup per byte, half the bytes
 * on the wire of the server's HEX()), shortest float text, date checks.
 *
 * A value PostgreSQL cannot take (a zero date, a TINYINT(1) of 2, a NUL
 * character...) stops the copy with a message naming table, column and
 * key; the source checks (mysql_check.c) look for them before anything is
 * written, this is the guard for rows written after that check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "engine/mysql/mysql_value.h"
#include "util/log.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* A chunk handed to the target is at least this big (except the last). */
#define COPY_CHUNK_BYTES (128 * 1024)

struct MyCopy {
    const MyTable *mt;
    char *display;              /* "schema.table" for messages */
    size_t ncols;               /* selected (copied) columns */
    size_t *col_of;             /* per selected column: its position in mt->cols */
    ssize_t *sel_of;            /* per mt column: its position in the SELECT, -1 when not selected */
    MYSQL_RES *res;
    bool done;                  /* mysql_fetch_row() returned NULL */
    char *buf;
    size_t len, cap;
    StrBuf scratch;
};


static char *
reserve(MyCopy *cp, size_t n)
{
    if (cp->len + n > cp->cap) {
        size_t cap = cp->cap ? cp->cap : COPY_CHUNK_BYTES * 2;
        while (cap < cp->len + n)
            cap *= 2;
        cp->buf = gw_realloc(cp->buf, cap);
        cp->cap = cap;
    }
    return cp->buf + cp->len;
}

static void
put(MyCopy *cp, const char *s, size_t n)
{
    memcpy(reserve(cp, n), s, n);
    cp->len += n;
}

/* COPY text escaping; false when s holds a NUL byte (PostgreSQL text cannot). */
static bool
put_escaped(MyCopy *cp, const char *s, size_t n)
{
    char *o = reserve(cp, 2 * n), *start = o;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        switch (ch) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\0': return false;
        default: *o++ = ch; break;
        }
    }
    cp->len += (size_t) (o - start);
    return true;
}

/* bytea: "\x" and two lowercase hex digits per byte, the backslash COPY-escaped. */
static void
put_hex(MyCopy *cp, const unsigned char *s, size_t n)
{
    char *o = reserve(cp, 3 + 2 * n);
    *o++ = '\\';
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = hex_lower_digits[s[i] >> 4];
        *o++ = hex_lower_digits[s[i] & 15];
    }
    cp->len += 3 + 2 * n;
}

static bool
uint_above_int8(const char *v, size_t n)
{
    return n > 19 || (n == 19 && memcmp(v, "9223372036854775807", 19) > 0);
}

const char *
mysql_value_problem(const MyColumn *col, const char *v, size_t n)
{
    switch (col->kind) {
    case MYV_BOOL:
        if (n != 1 || (v[0] != '0' && v[0] != '1'))
            return "is not 0 or 1, which a boolean cannot hold (--type-map the column to smallint)";
        return NULL;
    case MYV_UINT:
        if (col->int8_checked && uint_above_int8(v, n))
            return "is above 9223372036854775807, the largest bigint (--unsigned-bigint numeric, the default, keeps"
                   " such values)";
        return NULL;
    case MYV_DATE: case MYV_DATETIME: case MYV_TIMESTAMP:
        switch (mysql_value_check_date(v, n)) {
        case MYDATE_ZERO:
            return col->zero_dates_null ? NULL
                                        : "is a zero date, which PostgreSQL cannot store (--zero-dates null loads"
                                          " zero dates as NULL)";
        case MYDATE_INVALID: return "is not a valid date (fix the row on the source)";
        default: return NULL;
        }
    case MYV_TEXT: case MYV_JSON:
        if (memchr(v, '\0', n))
            return "contains a NUL character, which PostgreSQL text cannot hold (fix the row on the source)";
        return NULL;
    case MYV_ENUM:
        if (strtoul(v, NULL, 10) > col->nlabels)
            return "is not a member of the ENUM";
        return NULL;
    case MYV_SET:
        if (col->nlabels < 64 && (strtoull(v, NULL, 10) >> col->nlabels) != 0)
            return "has bits beyond the SET's members";
        return NULL;
    default:
        return NULL;
    }
}

/* The enum's empty value: MySQL stores index 0 for an invalid label in non-strict mode. */
static const char *const enum_zero_problem =
    "is the empty value MySQL stores for an invalid ENUM label (fix the row, or --type-map the column to text)";

/* A key value for a message: binary keys in hex, text cut at 100 bytes. */
static void
append_key_value(StrBuf *sb, const MyColumn *col, const char *v, size_t n)
{
    if (col->kind != MYV_BYTES) {
        strbuf_appendf(sb, "%.*s", (int) (n > 100 ? 100 : n), v);
        return;
    }
    strbuf_append(sb, "x'");
    for (size_t b = 0; b < n && b < 50; b++)
        strbuf_appendf(sb, "%02x", (unsigned char) v[b]);
    strbuf_append(sb, n > 50 ? "...'" : "'");
}

/* "(id, k)=(5, x)": the row's key for messages. */
static char *
row_key(const MyCopy *cp, MYSQL_ROW row, const unsigned long *lengths)
{
    const MyTable *mt = cp->mt;
    if (mt->npk == 0)
        return gw_strdup("(no primary key)");
    StrBuf names, vals;
    strbuf_init(&names);
    strbuf_init(&vals);
    for (size_t i = 0; i < mt->npk; i++) {
        const MyColumn *col = &mt->cols[mt->pk[i]];
        ssize_t s = cp->sel_of[mt->pk[i]];
        strbuf_appendf(&names, "%s%s", i ? ", " : "", col->name);
        if (i)
            strbuf_append(&vals, ", ");
        if (s < 0 || !row[s])
            strbuf_append(&vals, "?");
        else
            append_key_value(&vals, col, row[s], lengths[s]);
    }
    char *key = gw_asprintf("(%s)=(%s)", names.data, vals.data);
    strbuf_free(&names);
    strbuf_free(&vals);
    return key;
}

static GwResult
value_error(const MyCopy *cp, const MyColumn *col, MYSQL_ROW row, const unsigned long *lengths, size_t sel,
            const char *problem)
{
    char *key = row_key(cp, row, lengths);
    size_t n = lengths[sel];
    bool text = col->kind != MYV_BYTES && col->kind != MYV_BIT && !memchr(row[sel], '\0', n);
    log_error("source table %s, column %s, key %s: value %s%.*s%s %s", cp->display, col->name, key,
              text ? "'" : "", text ? (int) (n > 100 ? 100 : n) : 0, text ? row[sel] : "", text ? "'" : "(binary)",
              problem);
    free(key);
    return GW_ERR_USAGE;
}

static void
put_float(MyCopy *cp, const char *v, bool single)
{
    char buf[48];
    size_t n = mysql_value_format_float(strtod(v, NULL), single, buf, sizeof buf);
    put(cp, buf, n);
}

static void
put_bits(MyCopy *cp, const MyColumn *col, const char *v, size_t n)
{
    int nbits = col->length > 0 ? col->length : (int) n * 8;
    mysql_value_bits(reserve(cp, (size_t) nbits), (const unsigned char *) v, n, nbits);
    cp->len += (size_t) nbits;
}

/* A DATE, DATETIME or TIMESTAMP: checked, then as the server printed it (TIMESTAMP in UTC, marked so). */
static const char *
put_date(MyCopy *cp, const MyColumn *col, const char *v, size_t n)
{
    MyDateCheck check = mysql_value_check_date(v, n);
    if (check == MYDATE_ZERO && col->zero_dates_null) {
        put(cp, "\\N", 2);
        return NULL;
    }
    if (check != MYDATE_OK)
        return mysql_value_problem(col, v, n);
    put(cp, v, n);
    if (col->kind == MYV_TIMESTAMP)
        put(cp, "+00", 3);
    return NULL;
}

static const char *
put_enum(MyCopy *cp, const MyColumn *col, const MyPgType *pg, const char *v)
{
    unsigned long idx = strtoul(v, NULL, 10);
    if (idx == 0 && pg->is_enum)
        return enum_zero_problem;
    if (idx > col->nlabels)
        return mysql_value_problem(col, v, strlen(v));
    const char *label = idx == 0 ? "" : col->labels[idx - 1];
    put_escaped(cp, label, strlen(label));
    return NULL;
}

static const char *
put_set(MyCopy *cp, const MyColumn *col, const char *v)
{
    strbuf_reset(&cp->scratch);
    if (mysql_value_set_literal(&cp->scratch, col, strtoull(v, NULL, 10)) != 0)
        return mysql_value_problem(col, v, strlen(v));
    put_escaped(cp, cp->scratch.data, cp->scratch.len);
    return NULL;
}

/* One non-NULL value in its canonical form, COPY-escaped; NULL, or the problem that stops the copy. */
static const char *
put_value(MyCopy *cp, const MyColumn *col, const MyPgType *pg, const char *v, size_t n)
{
    switch (col->kind) {
    case MYV_INT: case MYV_DECIMAL: case MYV_TIME:
        put(cp, v, n);
        return NULL;
    case MYV_UINT:
        if (col->int8_checked && uint_above_int8(v, n))
            return mysql_value_problem(col, v, n);
        put(cp, v, n);
        return NULL;
    case MYV_BOOL:
        if (n != 1 || (v[0] != '0' && v[0] != '1'))
            return mysql_value_problem(col, v, n);
        put(cp, v[0] == '1' ? "t" : "f", 1);
        return NULL;
    case MYV_FLOAT: case MYV_DOUBLE:
        put_float(cp, v, col->kind == MYV_FLOAT);
        return NULL;
    case MYV_BIT:
        put_bits(cp, col, v, n);
        return NULL;
    case MYV_TEXT: case MYV_JSON:
        return put_escaped(cp, v, n) ? NULL : mysql_value_problem(col, v, n);
    case MYV_BYTES:
        put_hex(cp, (const unsigned char *) v, n);
        return NULL;
    case MYV_DATE: case MYV_DATETIME: case MYV_TIMESTAMP:
        return put_date(cp, col, v, n);
    case MYV_YEAR:
        put(cp, n == 4 && !memcmp(v, "0000", 4) ? "0" : v, n == 4 && !memcmp(v, "0000", 4) ? 1 : n);
        return NULL;
    case MYV_ENUM:
        return put_enum(cp, col, pg, v);
    case MYV_SET:
        return put_set(cp, col, v);
    }
    return NULL;
}

static GwResult
put_row(MyCopy *cp, MYSQL_ROW row, const unsigned long *lengths)
{
    for (size_t i = 0; i < cp->ncols; i++) {
        if (i)
            put(cp, "\t", 1);
        if (!row[i]) {
            put(cp, "\\N", 2);
            continue;
        }
        size_t m = cp->col_of[i];
        size_t mark = cp->len;
        const char *problem = put_value(cp, &cp->mt->cols[m], &cp->mt->pg[m], row[i], lengths[i]);
        if (problem) {
            cp->len = mark;
            return value_error(cp, &cp->mt->cols[m], row, lengths, i, problem);
        }
    }
    put(cp, "\n", 1);
    return GW_OK;
}

/* The SELECT list: each copied column as the reader wants it (MySelect), in the TableDef's order. */
static char *
select_list(const MyCopy *cp)
{
    if (cp->ncols == 0)
        return gw_strdup("1");
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < cp->ncols; i++) {
        size_t m = cp->col_of[i];
        char *q = mysql_quote_ident(cp->mt->cols[m].name);
        switch (cp->mt->pg[m].select) {
        case MYSEL_DOUBLE: strbuf_appendf(&sb, "%sCAST(%s AS DOUBLE)", i ? ", " : "", q); break;
        case MYSEL_NUMBER: strbuf_appendf(&sb, "%s%s+0", i ? ", " : "", q); break;
        default: strbuf_appendf(&sb, "%s%s", i ? ", " : "", q); break;
        }
        free(q);
    }
    return strbuf_take(&sb);
}

/* Maps the TableDef's columns to the description's; they differ only if the table changed since describe. */
static GwResult
map_columns(MyConn *c, MyCopy *cp, const TableDef *t)
{
    const MyTable *mt = cp->mt;
    cp->col_of = gw_calloc(t->ncolumns + 1, sizeof *cp->col_of);
    cp->sel_of = gw_calloc(mt->ncols + 1, sizeof *cp->sel_of);
    for (size_t m = 0; m < mt->ncols; m++)
        cp->sel_of[m] = -1;
    for (size_t m = 0; m < mt->ncols; m++) {
        if (mt->cols[m].generated)
            continue;
        if (cp->ncols >= t->ncolumns || strcmp(mt->cols[m].name, t->columns[cp->ncols].name) != 0)
            break;
        cp->sel_of[m] = (ssize_t) cp->ncols;
        cp->col_of[cp->ncols++] = m;
    }
    if (cp->ncols == t->ncolumns)
        return GW_OK;
    log_error("source %s: table %s changed while the fetch ran (its columns differ from the snapshot's"
              " description); run the fetch again", c->base.endpoint->redacted, cp->display);
    return GW_ERR_SOURCE;
}

static char *
copy_sql(const MyConn *c, const MyCopy *cp, const char *where, const char *predicate_sql)
{
    char *cols = select_list(cp), *name = mysql_qualified(cp->mt->schema, cp->mt->name);
    char *sql = gw_asprintf("%sSELECT %s FROM %s%s%s%s%s%s%s", c->tag, cols, name,
                            where || predicate_sql ? " WHERE " : "", where ? "(" : "", where ? where : "",
                            where ? ")" : "", where && predicate_sql ? " AND " : "", predicate_sql ? predicate_sql : "");
    free(cols);
    free(name);
    return sql;
}

void
mysql_copy_free(MyConn *c)
{
    MyCopy *cp = c->copy;
    if (!cp)
        return;
    if (cp->res)
        mysql_copy_out_abort(&c->base);
    free(cp->display);
    free(cp->col_of);
    free(cp->sel_of);
    free(cp->buf);
    strbuf_free(&cp->scratch);
    free(cp);
    c->copy = NULL;
}

/* Starts streaming the rows a statement on mt selects, converted as copy_out_next() returns them. */
static GwResult
start_rows(MyConn *c, const MyTable *mt, const TableDef *t, const char *where, const char *predicate_sql,
           const char *tail)
{
    mysql_copy_free(c);
    MyCopy *cp = c->copy = gw_calloc(1, sizeof *cp);
    cp->mt = mt;
    cp->display = table_display_name(t);
    strbuf_init(&cp->scratch);
    GwResult rc = map_columns(c, cp, t);
    if (rc)
        return rc;
    char *select = copy_sql(c, cp, where, predicate_sql);
    char *sql = gw_asprintf("%s%s", select, tail ? tail : "");
    free(select);
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0 || !(cp->res = mysql_use_result(c->my))) {
        char *what = gw_asprintf("reading %s", cp->display);
        rc = mysql_conn_report(c, what);
        free(what);
    }
    free(sql);
    return rc;
}

GwResult
mysql_copy_out_begin(EngineConn *conn, const TableDef *t, const KeyRange *range, const char *predicate_sql,
                     CopyFormat fmt)
{
    MyConn *c = MY(conn);
    (void) fmt;     /* always COPY text: binary COPY is for PostgreSQL sources only */
    const MyTable *mt = mysql_table_get(c, t->schema, t->name);
    if (!mt)
        return GW_ERR_SOURCE;
    char *where = mysql_key_range_sql(mt, range);
    GwResult rc = start_rows(c, mt, t, where, predicate_sql, NULL);
    free(where);
    return rc;
}

static void
and_where(StrBuf *sb, char *cond)
{
    if (!cond)
        return;
    strbuf_appendf(sb, "%s(%s)", sb->len ? " AND " : "", cond);
    free(cond);
}

GwResult
mysql_scan_begin(EngineConn *conn, const TableDef *t, const ScanRequest *req)
{
    MyConn *c = MY(conn);
    const MyTable *mt = mysql_table_get(c, t->schema, t->name);
    if (!mt)
        return role_error(c->base.role);
    StrBuf where, tail;
    strbuf_init(&where);
    strbuf_init(&tail);
    and_where(&where, mysql_key_range_sql(mt, req->range));
    and_where(&where, req->after && mt->npk ? mysql_key_after_sql(mt, req->after) : NULL);
    and_where(&where, req->keys && mt->npk ? mysql_key_in_sql(mt, req->keys, req->nkeys) : NULL);
    if (mt->npk) {
        char *names = mysql_key_names(mt);
        strbuf_appendf(&tail, " ORDER BY %s", names);
        free(names);
    }
    if (req->limit > 0)
        strbuf_appendf(&tail, " LIMIT %ld", req->limit);
    GwResult rc = start_rows(c, mt, t, where.len ? where.data : NULL, req->predicate_sql, tail.data);
    strbuf_free(&where);
    strbuf_free(&tail);
    return rc;
}

bool
mysql_orders_like_bytes(EngineConn *conn, const TableDef *t, size_t col)
{
    const MyTable *mt = mysql_table_get(MY(conn), t->schema, t->name);
    const MyColumn *mc = NULL;
    for (size_t i = 0; mt && i < mt->ncols; i++)
        if (!strcmp(mt->cols[i].name, t->columns[col].name))
            mc = &mt->cols[i];
    if (!mc)
        return false;
    /* Text keys are not: MySQL compares them padded with spaces, even in binary collations. */
    switch (mc->kind) {
    case MYV_INT: case MYV_UINT: case MYV_DECIMAL: case MYV_BOOL: case MYV_YEAR: case MYV_DATE: case MYV_DATETIME:
    case MYV_TIMESTAMP: case MYV_BYTES:
        return true;
    default:
        return false;
    }
}

/* The end of the rows: a server error here (a lost connection, a killed query) fails the shard. */
static GwResult
finish_rows(MyConn *c, MyCopy *cp)
{
    GwResult rc = GW_OK;
    if (mysql_errno(c->my)) {
        char *what = gw_asprintf("copying %s", cp->display);
        rc = mysql_conn_report(c, what);
        free(what);
    }
    mysql_free_result(cp->res);
    cp->res = NULL;
    return rc;
}

GwResult
mysql_copy_out_next(EngineConn *conn, const char **buf, int *len)
{
    MyConn *c = MY(conn);
    MyCopy *cp = c->copy;
    *buf = NULL;
    *len = 0;
    if (!cp || !cp->res)
        return GW_OK;
    cp->len = 0;
    GwResult rc = GW_OK;
    while (rc == GW_OK && !cp->done && cp->len < COPY_CHUNK_BYTES) {
        MYSQL_ROW row = mysql_fetch_row(cp->res);
        if (!row) {
            cp->done = true;
            break;
        }
        if (cp->ncols == 0)
            put(cp, "\n", 1);
        else
            rc = put_row(cp, row, mysql_fetch_lengths(cp->res));
    }
    if (rc) {
        mysql_copy_out_abort(conn);
        return rc;
    }
    if (cp->len > 0) {
        *buf = cp->buf;
        *len = (int) cp->len;
        return GW_OK;
    }
    return finish_rows(c, cp);
}

/*
 * Stops a SELECT midway: the rest of its rows would otherwise be read to the
 * end by mysql_free_result().  Another session kills the query (the snapshot
 * transaction stays open); if that fails, the rows are drained.
 */
void
mysql_copy_out_abort(EngineConn *conn)
{
    MyConn *c = MY(conn);
    MyCopy *cp = c->copy;
    if (!cp || !cp->res)
        return;
    if (!cp->done) {
        MYSQL *killer;
        if (mysql_conn_open_raw(conn, &killer) == GW_OK) {
            char sql[64];
            snprintf(sql, sizeof sql, "KILL QUERY %lu", mysql_thread_id(c->my));
            (void) mysql_query(killer, sql);
            mysql_close(killer);
        }
    }
    mysql_free_result(cp->res);
    cp->res = NULL;
    cp->done = true;
}
