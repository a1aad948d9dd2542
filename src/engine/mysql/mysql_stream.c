/*
 * mysql_stream.c: the change stream of a MySQL/MariaDB source, read from its
 * binlog (row format, full row images) and turned into the engine-neutral
 * Change events of core/change.h.
 *
 * Transactions: a GTID event (or a "BEGIN" query) opens one, an XID event
 * (or a "COMMIT" query) ends it.  Positions are binlog file and offset
 * (mysql_pos.h): a transaction's BEGIN carries the offset where its first
 * event starts, its COMMIT the offset after its last event, so the flow's
 * rule "skip a transaction that starts before the checkpoint" is exact.
 * The checkpoint text also records the transaction's GTID.
 *
 * A transaction written by a godwit applier (failback's, with MariaDB's
 * skip_replication: its GTID or BEGIN event carries the flag
 * LOG_EVENT_SKIP_REPLICATION_F) is streamed as any other: the flag names
 * no migration, so the flow applies its changes that pass the phase's table
 * and row filters (core/phase_names.h says why nothing loops).  Only its
 * DDL is not a stop: it is the applier's own.
 *
 * The binlog holds every table of the server; only the phase's tables
 * (PhaseState.tables) are streamed.  A table's columns come from the catalog
 * (describe), matched to the TABLE_MAP event by position; generated columns
 * are not streamed.  DDL on a database of the phase stops the stream with
 * the statement and its position (the operator changes the target, then
 * runs replicate with --ddl-applied to go past it), but for statements that
 * change no table's rows or columns (mysql_ddl_kind.h) and TRUNCATE, which
 * is a change (a transaction of its own) of a phase's table, else nothing.
 *
 * What it must never do: return a change of a table outside the phase, or
 * a position inside a transaction as the end of one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "engine/mysql/mysql_binlog_reader.h"
#include "engine/mysql/mysql_conn.h"
#include "engine/mysql/mysql_ddl_kind.h"
#include "engine/mysql/mysql_pos.h"
#include "engine/mysql/mysql_rowimage.h"
#include "engine/mysql/mysql_stream.h"
#include "util/log.h"
#include "util/mem.h"

/* MariaDB's GTID event flag: a statement outside any transaction (DDL). */
#define GTID_FLAG_STANDALONE 1
/* Common header flag of the events of a session with skip_replication = 1 (MariaDB). */
#define EVENT_FLAG_SKIP_REPLICATION 0x8000
/* Where the common header keeps its 2 bytes of flags. */
#define EVENT_FLAGS_OFFSET 17
/* How often an idle server sends a heartbeat. */
#define STREAM_HEARTBEAT_MS 1000

/* A table as the binlog names it (by table id), with what streaming it needs. */
typedef struct BinlogTable {
    uint64_t id;
    char *schema;
    char *name;
    bool in_phase;
    RowImageTable image;
    const MyColumn *cols;       /* the catalog's columns (owned by the source connection) */
    RelationInfo rel;           /* the streamed (not generated) columns */
    uint16_t *streamed;         /* rel column i -> table column */
    bool announced;             /* its RELATION change was returned */
} BinlogTable;

struct ChangeStream {
    EngineConn *owner;
    BinlogReader *reader;
    char **phase_tables;        /* "schema.table", the phase's */
    size_t nphase_tables;
    bool ddl_applied;           /* --ddl-applied: the first DDL met was applied on the target by hand */
    char file[256];             /* binlog file the events are in */
    StreamPos sent;
    RowArena *arena;
    BinlogTable *tables;
    size_t ntables, cap_tables;
    /* the rows event being returned row by row */
    MARIADB_RPL_EVENT *event;
    RowImageRows rows;
    bool rows_open;
    const uint8_t *rows_pos;
    BinlogTable *rows_table;
    ChangeValue *before, *after;        /* per table column */
    ChangeValue *rel_before, *rel_after;
    size_t cap_values;
    /* the open transaction */
    bool in_txn;
    StreamPos txn_start;
    int64_t txn_time;
    char gtid[96];
    char position_text[512];
    char *ddl_error;            /* a DDL stopped the stream: reported once what came before is committed */
    bool ddl_reported_idle;
    /* a TRUNCATE of a phase's table, returned as its own transaction: BEGIN, TRUNCATE, COMMIT */
    Change pending[3];
    int npending, next_pending;
    RelationInfo truncated;
    const RelationInfo *truncated_rels[1];
};

static void
table_free(BinlogTable *t)
{
    free(t->schema);
    free(t->name);
    rowimage_table_free(&t->image);
    for (uint16_t i = 0; i < t->rel.ncols; i++)
        free(t->rel.cols[i].name);
    free(t->rel.cols);
    free(t->streamed);
    memset(t, 0, sizeof *t);
}

static bool
in_phase(const ChangeStream *s, const char *schema, const char *table)
{
    for (size_t i = 0; i < s->nphase_tables; i++) {
        const char *qn = s->phase_tables[i];
        size_t ls = strlen(schema);
        if (!strncmp(qn, schema, ls) && qn[ls] == '.' && !strcmp(qn + ls + 1, table))
            return true;
    }
    return false;
}

static bool
database_in_phase(const ChangeStream *s, const char *db, size_t len)
{
    for (size_t i = 0; i < s->nphase_tables; i++)
        if (!strncmp(s->phase_tables[i], db, len) && s->phase_tables[i][len] == '.')
            return true;
    return false;
}

static GwResult
source_error(ChangeStream *s, unsigned errnum, const char *what, const char *detail)
{
    mysql_conn_note_error(s->owner, errnum);
    log_error("source %s: %s: %s", s->owner->endpoint->redacted, what, detail);
    return GW_ERR_SOURCE;
}

/* The event as the server sent it, from its 19-byte common header on. */
static const uint8_t *
raw_event(const MARIADB_RPL_EVENT *ev, size_t *len)
{
    *len = ev->raw_data_size - ev->raw_data_ofs;
    return ev->raw_data + ev->raw_data_ofs;
}

/* The event's whole size, checksum included, from its header (Connector/C's event_length is not that). */
static uint32_t
event_size(const MARIADB_RPL_EVENT *ev)
{
    size_t len;
    const uint8_t *raw = raw_event(ev, &len);
    if (len < 13)
        return 0;
    return (uint32_t) raw[9] | (uint32_t) raw[10] << 8 | (uint32_t) raw[11] << 16 | (uint32_t) raw[12] << 24;
}

static StreamPos
event_start(const ChangeStream *s, const MARIADB_RPL_EVENT *ev)
{
    uint32_t size = event_size(ev);
    return mysql_pos_order(s->file, ev->next_event_pos >= size ? ev->next_event_pos - size : 0);
}

/*
 * A ROTATE event's file name, read from the raw event: Connector/C 3.3 gets
 * its offset and length wrong.  The body is an 8-byte position, then the name
 * up to the end (less a 4-byte checksum when the server sends checksums).
 */
static void
rotate_file(ChangeStream *s, const MARIADB_RPL_EVENT *ev, bool checksum)
{
    size_t len;
    const uint8_t *raw = raw_event(ev, &len);
    size_t size = event_size(ev);
    if (size > len || size < 19 + 8 + (checksum ? 4 : 0))
        return;
    size_t name_len = size - 19 - 8 - (checksum ? 4 : 0);
    snprintf(s->file, sizeof s->file, "%.*s", (int) name_len, (const char *) raw + 19 + 8);
}

static StreamPos
event_end(const ChangeStream *s, const MARIADB_RPL_EVENT *ev)
{
    return mysql_pos_order(s->file, ev->next_event_pos);
}

/*
 * The columns of a table that are streamed, as a relation.  The catalog
 * describes the table as it is now; a TABLE_MAP event as it was when the
 * event was written.  Before a DDL that added columns at the end (which
 * stops the stream when it comes), the event has fewer: its columns are the
 * catalog's first ones.  Any other difference is refused.  (With
 * binlog_row_metadata=FULL the event names its columns; not used yet.)
 */
static GwResult
table_describe(ChangeStream *s, BinlogTable *t, bool *matches)
{
    size_t n = 0;
    *matches = false;
    GwResult rc = mysql_table_columns(s->owner, t->schema, t->name, &t->cols, &n);
    if (rc != GW_OK || !t->cols || n < t->image.ncols)
        return rc;
    *matches = true;
    n = t->image.ncols;
    t->rel.id = (uint32_t) t->id;
    t->rel.schema = t->schema;
    t->rel.name = t->name;
    t->rel.replica_identity = REPLICA_IDENTITY_FULL;
    t->rel.cols = gw_calloc(n + 1, sizeof *t->rel.cols);
    t->streamed = gw_calloc(n + 1, sizeof *t->streamed);
    for (size_t i = 0; i < n; i++) {
        if (t->cols[i].generated)
            continue;
        t->streamed[t->rel.ncols] = (uint16_t) i;
        t->rel.cols[t->rel.ncols].name = gw_strdup(t->cols[i].name);
        t->rel.ncols++;
    }
    return GW_OK;
}

static BinlogTable *
find_table(ChangeStream *s, uint64_t id)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (s->tables[i].id == id)
            return &s->tables[i];
    return NULL;
}

/* Ensures room for one row's values of a table with n columns. */
static void
reserve_values(ChangeStream *s, size_t n)
{
    if (n + 1 <= s->cap_values)
        return;
    size_t cap = n + 1;
    s->before = gw_realloc(s->before, cap * sizeof *s->before);
    s->after = gw_realloc(s->after, cap * sizeof *s->after);
    s->rel_before = gw_realloc(s->rel_before, cap * sizeof *s->rel_before);
    s->rel_after = gw_realloc(s->rel_after, cap * sizeof *s->rel_after);
    s->cap_values = cap;
}

/* A TABLE_MAP event: remembers the table under its id, described when it is one of the phase's. */
static GwResult
on_table_map(ChangeStream *s, const MARIADB_RPL_EVENT *ev)
{
    const struct st_mariadb_rpl_table_map_event *tm = &ev->event.table_map;
    char *schema = gw_strndup(tm->database.str, tm->database.length);
    char *name = gw_strndup(tm->table.str, tm->table.length);
    BinlogTable *t = find_table(s, tm->table_id);
    if (t && !strcmp(t->schema, schema) && !strcmp(t->name, name) && t->image.ncols == tm->column_count) {
        free(schema);
        free(name);
        return GW_OK;
    }
    if (t) {
        table_free(t);
    } else {
        gw_grow((void **) &s->tables, &s->cap_tables, s->ntables + 1, sizeof *s->tables);
        t = &s->tables[s->ntables++];
        memset(t, 0, sizeof *t);
    }
    t->id = tm->table_id;
    t->schema = schema;
    t->name = name;
    t->in_phase = in_phase(s, schema, name);
    if (!t->in_phase)
        return GW_OK;
    char err[256];
    if (rowimage_table_init(&t->image, (const uint8_t *) tm->column_types.str, tm->column_count,
                            (const uint8_t *) tm->metadata.str, tm->metadata.length, err, sizeof err) != 0) {
        log_error("source %s: table %s.%s: %s", s->owner->endpoint->redacted, schema, name, err);
        return GW_ERR_SOURCE;
    }
    bool matches;
    GwResult rc = table_describe(s, t, &matches);
    if (rc != GW_OK)
        return rc;
    if (!matches) {
        log_error("source %s: table %s.%s has %u columns in the binlog (%s before offset %u) but not the columns"
                  " godwit knows from the source's catalog: its definition changed; make the target's table match"
                  " the source's and run replicate again",
                  s->owner->endpoint->redacted, schema, name, tm->column_count, s->file, ev->next_event_pos);
        mysql_conn_note_error(s->owner, 0);
        return GW_ERR_USAGE;
    }
    reserve_values(s, tm->column_count);
    return GW_OK;
}

/* Whether a DDL statement may touch the phase's tables: run in, or naming, one of its databases. */
static bool
ddl_touches_phase(const ChangeStream *s, const MARIADB_RPL_EVENT *ev)
{
    const MARIADB_STRING *db = &ev->event.query.database, *q = &ev->event.query.statement;
    if (db->length && database_in_phase(s, db->str, db->length))
        return true;
    bool named = false;
    for (size_t i = 0; i < s->nphase_tables && !named; i++) {
        const char *dot = strchr(s->phase_tables[i], '.');
        char *name = gw_strndup(s->phase_tables[i], (size_t) (dot - s->phase_tables[i]));
        named = mysql_ddl_names_database(q->str, q->length, name);
        free(name);
    }
    return named;
}

static unsigned event_flags(const MARIADB_RPL_EVENT *ev);
static void begin_txn(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted);
static void commit_txn(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted);

static bool
table_in_phase(const ChangeStream *s, const char *schema, const char *name)
{
    size_t n = strlen(schema);
    for (size_t i = 0; i < s->nphase_tables; i++)
        if (!strncmp(s->phase_tables[i], schema, n) && s->phase_tables[i][n] == '.' &&
            !strcmp(s->phase_tables[i] + n + 1, name))
            return true;
    return false;
}

/*
 * Whether the statement is a TRUNCATE the stream takes as a change (not
 * godwit's own, and not the statement --ddl-applied says was done by hand,
 * as an earlier godwit stopped at one); *schema, *name: its table.
 */
static bool
streamed_truncate(const ChangeStream *s, const MARIADB_RPL_EVENT *ev, char **schema, char **name)
{
    const MARIADB_STRING *q = &ev->event.query.statement, *db = &ev->event.query.database;
    if ((event_flags(ev) & EVENT_FLAG_SKIP_REPLICATION) || s->ddl_applied ||
        !mysql_ddl_truncated_table(q->str, q->length, schema, name))
        return false;
    if (!*schema && db->length)
        *schema = gw_strndup(db->str, db->length);
    if (*schema)
        return true;
    free(*name);
    return false;
}

/*
 * TRUNCATE [TABLE] name: of a phase's table, a change as pgoutput's TRUNCATE
 * is (the flow takes only the phase's rows of a filtered table), in a
 * transaction of its own as MySQL commits it; of another table, nothing.
 * Takes schema and name.
 */
static void
on_truncate(ChangeStream *s, const MARIADB_RPL_EVENT *ev, char *schema, char *name, Change *change, bool *emitted)
{
    if (!table_in_phase(s, schema, name)) {
        free(schema);
        free(name);
        s->sent = event_end(s, ev);
        return;
    }
    free(s->truncated.schema);
    free(s->truncated.name);
    s->truncated = (RelationInfo) {.schema = schema, .name = name, .replica_identity = REPLICA_IDENTITY_FULL};
    s->truncated_rels[0] = &s->truncated;
    bool ignored;
    begin_txn(s, ev, &s->pending[0], &ignored);
    s->pending[1] = (Change) {.kind = CHANGE_TRUNCATE, .nrels = 1, .rels = s->truncated_rels};
    commit_txn(s, ev, &s->pending[2], &ignored);
    *change = s->pending[0];
    *emitted = true;
    s->npending = 3;
    s->next_pending = 1;
}

/*
 * DDL: stops the stream when it may touch the phase's tables, unless
 * --ddl-applied says it was done.  DDL that a godwit applier wrote (its
 * `_godwit` state, run in the URL's database, which may be the phase's) is
 * never the stream's business, nor DDL of triggers, views, routines and
 * events (mysql_ddl_kind.h): what a trigger writes comes as row events.
 */
static GwResult
on_ddl(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    const MARIADB_STRING *q = &ev->event.query.statement;
    char *truncated_schema, *truncated_name;
    if (streamed_truncate(s, ev, &truncated_schema, &truncated_name)) {
        on_truncate(s, ev, truncated_schema, truncated_name, change, emitted);
        return GW_OK;
    }
    if ((event_flags(ev) & EVENT_FLAG_SKIP_REPLICATION) || !ddl_touches_phase(s, ev) ||
        mysql_ddl_keeps_tables(q->str, q->length)) {
        s->sent = event_end(s, ev);
        return GW_OK;
    }
    if (s->ddl_applied) {
        s->ddl_applied = false;
        s->sent = event_end(s, ev);
        /* The tables' next TABLE_MAP events are described again, as they are now. */
        for (size_t i = 0; i < s->nphase_tables; i++) {
            char *dot = strchr(s->phase_tables[i], '.');
            char *schema = gw_strndup(s->phase_tables[i], (size_t) (dot - s->phase_tables[i]));
            mysql_table_forget(s->owner, schema, dot + 1);
            free(schema);
        }
        /* Their columns were forgotten too; every rows event comes after its own TABLE_MAP again. */
        for (size_t i = 0; i < s->ntables; i++)
            table_free(&s->tables[i]);
        s->ntables = 0;
        log_warn("source: going past DDL in %s before offset %u, as --ddl-applied says: %.*s", s->file,
                 ev->next_event_pos, (int) q->length, q->str);
        return GW_OK;
    }
    /* Reported at the next call: first the stream pauses, so that what came before is committed. */
    s->ddl_error = gw_asprintf("DDL on the phase's database in %s before offset %u (the stream stopped there; what"
                               " came before is applied): %.*s; make the same change on the target, then run"
                               " replicate with --ddl-applied",
                               s->file, ev->next_event_pos, (int) q->length, q->str);
    return GW_OK;
}

/* The event's header flags, read from the raw header (as event_size does). */
static unsigned
event_flags(const MARIADB_RPL_EVENT *ev)
{
    size_t len;
    const uint8_t *raw = raw_event(ev, &len);
    if (len < EVENT_FLAGS_OFFSET + 2)
        return ev->flags;
    return (unsigned) raw[EVENT_FLAGS_OFFSET] | (unsigned) raw[EVENT_FLAGS_OFFSET + 1] << 8;
}

static void
begin_txn(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    s->in_txn = true;
    s->txn_start = event_start(s, ev);
    s->txn_time = ((int64_t) ev->timestamp - CHANGE_EPOCH_OFFSET_S) * 1000000;
    *change = (Change) {.kind = CHANGE_BEGIN, .commit_pos = s->txn_start, .commit_time = s->txn_time};
    *emitted = true;
}

static void
commit_txn(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    s->in_txn = false;
    s->sent = event_end(s, ev);
    MyPos pos = {.offset = ev->next_event_pos};
    snprintf(pos.file, sizeof pos.file, "%s", s->file);
    snprintf(pos.gtid, sizeof pos.gtid, "%s", s->gtid);
    mysql_pos_format(&pos, s->position_text, sizeof s->position_text);
    *change = (Change) {.kind = CHANGE_COMMIT, .commit_pos = s->txn_start, .end_pos = s->sent,
                        .commit_time = s->txn_time, .position_text = s->position_text};
    *emitted = true;
}

static bool
is_statement(const MARIADB_STRING *q, const char *word)
{
    size_t n = strlen(word);
    return q->length == n && !strncasecmp(q->str, word, n);
}

/*
 * A query event: the BEGIN and COMMIT of statements on non-transactional
 * tables (whose transaction has no GTID begin or XID end), SAVEPOINTs inside
 * a transaction (nothing to do), or DDL (outside any transaction).
 */
static GwResult
on_query(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    const MARIADB_STRING *q = &ev->event.query.statement;
    if (is_statement(q, "BEGIN")) {
        if (!s->in_txn)
            begin_txn(s, ev, change, emitted);
        return GW_OK;
    }
    if (is_statement(q, "COMMIT") || is_statement(q, "ROLLBACK")) {
        if (s->in_txn)
            commit_txn(s, ev, change, emitted);
        return GW_OK;
    }
    return s->in_txn ? GW_OK : on_ddl(s, ev, change, emitted);
}

static void
on_gtid(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    snprintf(s->gtid, sizeof s->gtid, "%u-%u-%llu", ev->event.gtid.domain_id, ev->server_id,
             (unsigned long long) ev->event.gtid.sequence_nr);
    /* A standalone statement (DDL) opens no transaction: its query event is handled as DDL. */
    if (!(ev->event.gtid.flags & GTID_FLAG_STANDALONE))
        begin_txn(s, ev, change, emitted);
}

static void
on_xid(ChangeStream *s, const MARIADB_RPL_EVENT *ev, Change *change, bool *emitted)
{
    if (s->in_txn)
        commit_txn(s, ev, change, emitted);
}

/* A rows event of a phase table: parsed here, its rows returned one per call. */
static GwResult
on_rows(ChangeStream *s, MARIADB_RPL_EVENT *ev, bool checksum, bool *keep)
{
    RowImageError err;
    const uint8_t *raw = ev->raw_data + ev->raw_data_ofs;
    size_t len = ev->raw_data_size - ev->raw_data_ofs;
    if (rowimage_rows_parse(&s->rows, raw, len, checksum, &err) != 0)
        return source_error(s, 0, "reading a rows event", err.message);
    BinlogTable *t = find_table(s, s->rows.table_id);
    if (!t || !t->in_phase) {
        rowimage_rows_free(&s->rows);
        return GW_OK;
    }
    if (s->rows.ncols != t->image.ncols) {
        rowimage_rows_free(&s->rows);
        log_error("source %s: table %s.%s: a rows event has %u columns, its table map %u", s->owner->endpoint->redacted,
                  t->schema, t->name, s->rows.ncols, t->image.ncols);
        return GW_ERR_SOURCE;
    }
    s->event = ev;
    s->rows_open = true;
    s->rows_pos = s->rows.data;
    s->rows_table = t;
    *keep = true;
    return GW_OK;
}

static void
close_rows(ChangeStream *s)
{
    if (!s->rows_open)
        return;
    rowimage_rows_free(&s->rows);
    mariadb_free_rpl_event(s->event);
    s->event = NULL;
    s->rows_open = false;
}

/* The streamed columns of a row, in the relation's order. */
static void
compact(const BinlogTable *t, const ChangeValue *all, ChangeValue *out)
{
    for (uint16_t i = 0; i < t->rel.ncols; i++)
        out[i] = all[t->streamed[i]];
}

/*
 * "(id, k)=(5, ?)": the row's primary key for a message, as far as the image
 * that failed was decoded (its columns before `upto`); "?" for the rest.
 */
static char *
describe_key(const ChangeStream *s, const BinlogTable *t, const ChangeValue *values, int upto)
{
    const MyTable *mt = mysql_table_get(MY(s->owner), t->schema, t->name);
    if (!mt || mt->npk == 0)
        return gw_strdup("(no primary key)");
    StrBuf names, vals;
    strbuf_init(&names);
    strbuf_init(&vals);
    for (size_t i = 0; i < mt->npk; i++) {
        size_t c = mt->pk[i];
        const ChangeValue *v = &values[c];
        bool known = c < t->image.ncols && (int) c < upto && v->kind == VALUE_TEXT;
        strbuf_appendf(&names, "%s%s", i ? ", " : "", mt->cols[c].name);
        strbuf_appendf(&vals, "%s%.*s", i ? ", " : "", known ? (int) (v->len > 100 ? 100 : v->len) : 1,
                       known ? v->data : "?");
    }
    char *key = gw_asprintf("(%s)=(%s)", names.data, vals.data);
    strbuf_free(&names);
    strbuf_free(&vals);
    return key;
}

/* The next row of the open rows event as a change; false when the event has no more rows. */
static GwResult
next_row(ChangeStream *s, Change *change, bool *got)
{
    BinlogTable *t = s->rows_table;
    RowImageError err;
    *got = false;
    if (!t->announced) {
        t->announced = true;
        *change = (Change) {.kind = CHANGE_RELATION, .rel = &t->rel};
        *got = true;
        return GW_OK;
    }
    int rc = rowimage_rows_next(&s->rows, &s->rows_pos, &t->image, t->cols, s->arena, s->before, s->after, &err);
    if (rc == 0) {
        close_rows(s);
        return GW_OK;
    }
    if (rc < 0) {
        char *key = err.column >= 0
                        ? describe_key(s, t, s->rows.kind == ROWIMAGE_WRITE ? s->after : s->before, err.column)
                        : NULL;
        log_error("source %s: table %s.%s%s%s%s%s: %s", s->owner->endpoint->redacted, t->schema, t->name,
                  key ? ", column " : "", key ? t->cols[err.column].name : "", key ? ", key " : "",
                  key ? key : "", err.message);
        free(key);
        mysql_conn_note_error(s->owner, 0);
        return GW_ERR_USAGE;
    }
    Change c = {.rel = &t->rel};
    ChangeTuple before = {.ncols = t->rel.ncols, .values = s->rel_before};
    ChangeTuple after = {.ncols = t->rel.ncols, .values = s->rel_after};
    switch (s->rows.kind) {
    case ROWIMAGE_WRITE:
        c.kind = CHANGE_INSERT;
        compact(t, s->after, s->rel_after);
        c.new_tuple = after;
        break;
    case ROWIMAGE_UPDATE:
        c.kind = CHANGE_UPDATE;
        compact(t, s->before, s->rel_before);
        compact(t, s->after, s->rel_after);
        c.old_kind = CHANGE_OLD_ROW;
        c.old_tuple = before;
        c.new_tuple = after;
        break;
    case ROWIMAGE_DELETE:
        c.kind = CHANGE_DELETE;
        compact(t, s->before, s->rel_before);
        c.old_kind = CHANGE_OLD_ROW;
        c.old_tuple = before;
        break;
    }
    *change = c;
    *got = true;
    return GW_OK;
}

/* Turns one event into at most one change; *keep: the event is held by the stream (a rows event). */
static GwResult
on_event(ChangeStream *s, MARIADB_RPL_EVENT *ev, bool checksum, Change *change, bool *emitted, bool *keep)
{
    log_debug("binlog event %d in %s, ends at %u, length %u", (int) ev->event_type, s->file, ev->next_event_pos,
              ev->event_length);
    switch (ev->event_type) {
    case ROTATE_EVENT:
        rotate_file(s, ev, checksum);
        if (!s->in_txn)
            s->sent = mysql_pos_order(s->file, (uint32_t) ev->event.rotate.position);
        return GW_OK;
    case GTID_EVENT:
        on_gtid(s, ev, change, emitted);
        return GW_OK;
    case QUERY_EVENT:
        return on_query(s, ev, change, emitted);
    case XID_EVENT:
        on_xid(s, ev, change, emitted);
        return GW_OK;
    case TABLE_MAP_EVENT:
        return on_table_map(s, ev);
    case HEARTBEAT_LOG_EVENT:
        if (!s->in_txn && ev->next_event_pos)
            s->sent = event_end(s, ev);
        return GW_OK;
    default:
        if (rowimage_is_rows_event((uint8_t) ev->event_type))
            return on_rows(s, ev, checksum, keep);
        if (!s->in_txn && ev->next_event_pos && ev->event_type != FORMAT_DESCRIPTION_EVENT)
            s->sent = event_end(s, ev);
        return GW_OK;
    }
}

static bool
transient_errnum(unsigned n)
{
    return n == CR_SERVER_LOST || n == CR_SERVER_GONE_ERROR || n == CR_CONNECTION_ERROR ||
           n == CR_CONN_HOST_ERROR || n == ER_SERVER_SHUTDOWN || n == ER_CONNECTION_KILLED ||
           n == ER_NET_READ_ERROR || n == ER_NET_READ_INTERRUPTED;
}

GwResult
mysql_stream_next(ChangeStream *s, int timeout_ms, StreamEvent *out, Change *change)
{
    rowarena_reset(s->arena);
    if (s->ddl_error && s->ddl_reported_idle) {
        log_error("source %s: %s", s->owner->endpoint->redacted, s->ddl_error);
        mysql_conn_note_error(s->owner, 0);
        return GW_ERR_USAGE;
    }
    if (s->ddl_error) {
        s->ddl_reported_idle = true;
        *out = STREAM_IDLE;
        return GW_OK;
    }
    if (s->next_pending < s->npending) {
        *change = s->pending[s->next_pending++];
        *out = STREAM_CHANGE;
        return GW_OK;
    }
    for (;;) {
        if (s->rows_open) {
            bool got;
            GwResult rc = next_row(s, change, &got);
            if (rc || got) {
                *out = STREAM_CHANGE;
                return rc;
            }
            continue;
        }
        MARIADB_RPL_EVENT *ev;
        bool checksum;
        unsigned errnum = 0;
        char err[512];
        int n = binlog_reader_next(s->reader, timeout_ms, &ev, &checksum, &errnum, err, sizeof err);
        if (n == 0) {
            *out = STREAM_IDLE;
            return GW_OK;
        }
        if (n < 0) {
            if (errnum == ER_MASTER_FATAL_ERROR_READING_BINLOG) {
                log_error("source %s: the binlog cannot be read from %s: %s; if the file was purged, the phase must"
                          " be fetched again",
                          s->owner->endpoint->redacted, s->file, err);
                mysql_conn_note_error(s->owner, 0);
                return GW_ERR_SOURCE;
            }
            return source_error(s, transient_errnum(errnum) ? errnum : 0, "reading the binlog", err);
        }
        bool emitted = false, keep = false;
        GwResult rc = on_event(s, ev, checksum, change, &emitted, &keep);
        if (!keep)
            mariadb_free_rpl_event(ev);
        if (rc)
            return rc;
        if (emitted) {
            *out = STREAM_CHANGE;
            return GW_OK;
        }
        if (s->ddl_error) {
            s->ddl_reported_idle = true;
            *out = STREAM_IDLE;
            return GW_OK;
        }
    }
}

/* The binlog file a stream position names: the snapshot's file name with the position's sequence number. */
static int
start_file(const PhaseState *ps, StreamPos start, char *file, size_t len, uint32_t *offset)
{
    MyPos snap;
    if (!ps->snapshot_position || mysql_pos_parse(ps->snapshot_position, &snap) != 0)
        return -1;
    const char *dot = strrchr(snap.file, '.');
    if (!dot)
        return -1;
    unsigned seq = (unsigned) (start >> 32);
    size_t digits = strlen(dot + 1);
    snprintf(file, len, "%.*s.%0*u", (int) (dot - snap.file), snap.file, (int) digits, seq);
    *offset = (uint32_t) (start & 0xffffffffu);
    return 0;
}

GwResult
mysql_stream_open(EngineConn *conn, const PhaseState *ps, StreamPos start, ChangeStream **out)
{
    *out = NULL;
    ChangeStream *s = gw_calloc(1, sizeof *s);
    s->owner = conn;
    s->arena = rowarena_new();
    s->ddl_applied = conn->endpoint->read.ddl_applied;
    s->phase_tables = gw_calloc(ps->ntables + 1, sizeof *s->phase_tables);
    for (size_t i = 0; i < ps->ntables; i++)
        s->phase_tables[i] = gw_strdup(ps->tables[i]);
    s->nphase_tables = ps->ntables;
    uint32_t offset;
    if (start_file(ps, start, s->file, sizeof s->file, &offset) != 0) {
        log_error("phase '%s': no binlog position recorded on the target ('%s')", ps->name,
                  ps->snapshot_position ? ps->snapshot_position : "");
        mysql_stream_close(s);
        return GW_ERR_TARGET;
    }
    s->sent = start;
    MYSQL *db;
    GwResult rc = mysql_conn_open_raw(conn, &db);
    if (rc) {
        mysql_stream_close(s);
        return rc;
    }
    /* The flow sets it: --server-id, else one of the migration's phase (core/phase_names.h). */
    uint32_t server_id = conn->endpoint->read.reader_id;
    BinlogStart bs = {.file = s->file, .offset = offset, .server_id = server_id, .heartbeat_ms = STREAM_HEARTBEAT_MS};
    unsigned errnum = 0;
    char err[512];
    if (binlog_reader_start(db, &bs, &s->reader, &errnum, err, sizeof err) != 0) {
        rc = source_error(s, transient_errnum(errnum) ? errnum : 0, "starting the binlog dump", err);
        mysql_stream_close(s);
        return rc;
    }
    log_info("phase '%s': reading the binlog from %s:%u as server_id %u", ps->name, s->file, offset, server_id);
    *out = s;
    return GW_OK;
}

GwResult
mysql_stream_confirm(ChangeStream *s, StreamPos applied, bool request_reply)
{
    /* A binlog has no slot: the server keeps its files by its own expiry settings. */
    (void) s;
    (void) applied;
    (void) request_reply;
    return GW_OK;
}

StreamPos
mysql_stream_sent_pos(ChangeStream *s)
{
    return s->sent;
}

uint64_t
mysql_stream_bytes(ChangeStream *s)
{
    return s->reader ? binlog_reader_bytes(s->reader) : 0;
}

void
mysql_stream_close(ChangeStream *s)
{
    if (!s)
        return;
    close_rows(s);
    binlog_reader_stop(s->reader);
    for (size_t i = 0; i < s->ntables; i++)
        table_free(&s->tables[i]);
    free(s->tables);
    for (size_t i = 0; i < s->nphase_tables; i++)
        free(s->phase_tables[i]);
    free(s->phase_tables);
    free(s->before);
    free(s->after);
    free(s->rel_before);
    free(s->rel_after);
    rowarena_free(s->arena);
    free(s->ddl_error);
    free(s->truncated.schema);
    free(s->truncated.name);
    free(s);
}
