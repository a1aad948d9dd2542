/*
 * mysql_rowimage.h: decodes the row images of MariaDB/MySQL binlog rows events
 * (WRITE/UPDATE/DELETE_ROWS, v1, v2 and MariaDB's compressed v1) into the
 * canonical text values of mysql_column.h, so that a row streamed from the
 * binlog is byte-identical to the same row fetched with the text protocol.
 *
 * What it must never do: read a byte outside the event it was given (every
 * read is checked against the end pointer the caller passes), trust a length
 * from the event without checking it, or guess a value: a byte layout it does
 * not know, a catalog kind that does not match the binlog type, or a value
 * PostgreSQL cannot hold (a NUL character, a zero date) is an error that names
 * the column, never a silently different value.
 *
 * The layouts decoded here were checked against events recorded from a
 * MariaDB 10.11 server (tests/unit/fixtures/binlog/, tests/unit/test_rowimage.c).
 * MySQL 8's binary JSON (MYSQL_TYPE_JSON) is decoded after MySQL's documentation
 * of json_binary and unit-tested with byte strings built from that documentation
 * only: it is untested against a live MySQL server.
 *
 * About MariaDB Connector/C 3.3 (checked with 3.3.20 against the raw bytes of the
 * recorded events; see test_rowimage.c):
 *   - Its TABLE_MAP parsing (event.table_map.column_count, column_types, metadata)
 *     is right, for every column type: pass those to rowimage_table_init().
 *   - Its v1 rows events (MariaDB's WRITE/UPDATE/DELETE_ROWS_EVENT_V1 and the
 *     *_COMPRESSED_EVENT_V1 types, which it always uncompresses, with or without
 *     MARIADB_RPL_UNCOMPRESS) are right: column_bitmap, column_update_bitmap,
 *     row_data and row_data_size match the raw event.
 *   - Its v2 rows events (MySQL's WRITE/UPDATE/DELETE_ROWS_EVENT, types 30-32) are
 *     wrong for UPDATE: column_update_bitmap is left NULL and row_data starts with
 *     the after-image bitmap.  MariaDB's v2 compressed types (169-171) are refused
 *     as unknown events.  rowimage_rows_parse() below parses every rows event from
 *     the raw bytes (event->raw_data + event->raw_data_ofs) and is what to use.
 *   - Reading a binlog file (mariadb_rpl_init(NULL) + MARIADB_RPL_FILENAME) is
 *     broken: every event is read one byte off (a 20-byte header is read but only
 *     19 bytes kept), so the first FORMAT_DESCRIPTION_EVENT already fails with
 *     "Malformed packet"; and a MARIADB_RPL_FILENAME given with a non-zero length
 *     is not NUL-terminated before it is opened (heap overread).  The network
 *     stream (COM_BINLOG_DUMP) is not affected.
 *
 * Compressed row events and MariaDB's compressed columns are inflated with zlib
 * (see mysql_rowimage_zlib.c: the zlib functions are weak references until the
 * build links -lz; libmariadb loads libz anyway).
 */
#ifndef GW_MYSQL_ROWIMAGE_H
#define GW_MYSQL_ROWIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/change.h"            /* ChangeValue, ValueKind */
#include "engine/mysql/mysql_column.h"
#include "util/result.h"            /* GW_MUST_CHECK */
#include "util/strbuf.h"

/* MariaDB column types that Connector/C's enum_field_types does not name. */
#define ROWIMAGE_TYPE_BLOB_COMPRESSED       140   /* BLOB/TEXT ... COMPRESSED */
#define ROWIMAGE_TYPE_VARCHAR_COMPRESSED    141   /* VARCHAR ... COMPRESSED */

/*
 * A table as a TABLE_MAP event describes it: the real type and metadata of each
 * column.  types[i] is the column's MYSQL_TYPE_*, except that a MYSQL_TYPE_STRING
 * whose metadata names ENUM or SET becomes MYSQL_TYPE_ENUM / MYSQL_TYPE_SET.
 * meta[i] is the column's metadata as the server wrote it, packed the way
 * mysqlbinlog prints it ("meta=..."):
 *   FLOAT, DOUBLE                      byte size (4, 8)
 *   BLOB (all sizes), GEOMETRY, JSON,
 *   BLOB_COMPRESSED                    size of the length prefix (1..4)
 *   TIME2, DATETIME2, TIMESTAMP2       fractional digits (0..6)
 *   VARCHAR, VAR_STRING,
 *   VARCHAR_COMPRESSED                 maximum byte length (little-endian in the event)
 *   NEWDECIMAL                         precision << 8 | scale
 *   BIT                                whole bytes << 8 | remaining bits
 *   STRING, ENUM, SET                  first byte << 8 | second byte (real type with
 *                                      the high bits of a CHAR's byte length folded in,
 *                                      then the low byte of that length, or the ENUM/SET
 *                                      storage size)
 *   every other type                   0
 */
typedef struct RowImageTable {
    uint32_t ncols;
    uint8_t *types;     /* real MYSQL_TYPE_* per column (MYSQL_TYPE_STRING's real type, ENUM/SET, resolved from metadata) */
    uint16_t *meta;     /* per-column metadata as the server wrote it */
} RowImageTable;

/*
 * Fills *out from a TABLE_MAP event's column types (ncols bytes) and metadata
 * block (metadata_len bytes): Connector/C's event.table_map.column_types.str,
 * column_count, metadata.str and metadata.length.  Returns 0, or -1 with a
 * message in err (a type whose metadata size is unknown, a metadata block that is
 * too short or too long, a CHAR/ENUM/SET whose real type is unknown).  On error
 * *out needs no rowimage_table_free().  The inputs are copied.
 */
int rowimage_table_init(RowImageTable *out, const uint8_t *types, uint32_t ncols,
                        const uint8_t *metadata, size_t metadata_len, char *err,
                        size_t errlen) GW_MUST_CHECK;
void rowimage_table_free(RowImageTable *t);

/*
 * Storage for decoded text: blocks that are never moved, so a value's pointer
 * stays valid until the next rowarena_reset() or rowarena_free().  Reset once per
 * applied transaction (or batch): it frees nothing but makes all space reusable,
 * and keeps at most ROWARENA_KEEP_BYTES of blocks for the next round (blocks made
 * for large values are freed).  Allocation failure aborts (util/mem.h).
 */
#define ROWARENA_KEEP_BYTES (1u << 20)
typedef struct RowArena RowArena;
RowArena *rowarena_new(void);
void rowarena_reset(RowArena *a);
void rowarena_free(RowArena *a);
/* n bytes of space (n may be 0), valid until reset. */
char *rowarena_alloc(RowArena *a, size_t n);
/* Gives back the unused tail of the most recent allocation p (of old_n bytes), keeping new_n. */
void rowarena_shrink(RowArena *a, char *p, size_t old_n, size_t new_n);
/* Bytes handed out since the last reset (for metrics and tests). */
size_t rowarena_used(const RowArena *a);

typedef struct RowImageError {
    int column;          /* 0-based column index, -1 when not about one column */
    char message[256];   /* e.g. "zero date 0000-00-00 is not a valid date", "truncated row image" */
} RowImageError;

/*
 * Decodes one row image starting at *p: the NULL bitmap over the columns present
 * in `present` (a bitmap of t->ncols bits, as in the rows event), then each
 * present non-NULL value.  On success advances *p past the image and fills
 * values[0..t->ncols-1]: VALUE_TEXT (canonical form of mysql_column.h, data/len
 * pointing into the arena), VALUE_NULL, or VALUE_UNCHANGED for a column not
 * present in the image.  cols[i] (t->ncols entries) describes column i (the
 * catalog's knowledge: kind, charset, labels, fsp in scale, zero_dates_null).
 * Returns 0, or -1 with *err filled and *p unchanged.
 *
 * Details the caller may rely on:
 *   - A generated column (cols[i].generated) is skipped (its bytes are checked
 *     and stepped over) and reported VALUE_UNCHANGED: it is not streamed.
 *   - A zero date with cols[i].zero_dates_null is VALUE_NULL.
 *   - err->message does not name the table or the column (err->column does): the
 *     caller adds table, column name and key.  Values in messages are shown as
 *     text ("zero date 2024-00-15 is not a valid date").
 *   - The fractional digits printed for TIME2/DATETIME2/TIMESTAMP2 are the ones
 *     the event's metadata gives.  MariaDB's pre-10.1 TIME/DATETIME/TIMESTAMP
 *     with fractions (types 11/12/7, written without metadata) are sized by
 *     cols[i].scale, which must be the column's fsp.
 *   - CHAR values are printed as stored (the binlog strips trailing pad spaces);
 *     BINARY(n) values of kind MYV_BYTES and charset MYCS_BINARY are padded back
 *     to n bytes with 0x00.
 *   - A SET element that is empty, contains `{}",\` or white space, or reads
 *     NULL (any case) is double-quoted in the text[] literal.
 *   - GEOMETRY, and the old MYSQL_TYPE_DECIMAL, are "unsupported type" errors.
 */
int rowimage_decode(const RowImageTable *t, const MyColumn *cols, const uint8_t *present,
                    const uint8_t **p, const uint8_t *end, RowArena *arena, ChangeValue *values,
                    RowImageError *err) GW_MUST_CHECK;

/*
 * A rows event, parsed from its raw bytes by rowimage_rows_parse(): what
 * Connector/C's event.rows should hold, for v1, v2 and compressed events alike.
 */
typedef enum RowImageRowsKind {
    ROWIMAGE_WRITE = 0,     /* images: after only */
    ROWIMAGE_UPDATE = 1,    /* images: before (present), then after (present_after) */
    ROWIMAGE_DELETE = 2,    /* images: before only */
} RowImageRowsKind;

typedef struct RowImageRows {
    RowImageRowsKind kind;
    uint8_t event_type;             /* 23-25, 30-32, 166-168, 169-171 */
    uint64_t table_id;
    uint16_t flags;                 /* STMT_END_F (1) marks the statement's last rows event */
    uint32_t ncols;
    const uint8_t *present;         /* columns in the image (the before image of an UPDATE) */
    const uint8_t *present_after;   /* UPDATE: columns in the after image; NULL otherwise */
    const uint8_t *data;            /* the row images, data_len bytes */
    size_t data_len;
    uint8_t *owned;                 /* the uncompressed images of a compressed event */
} RowImageRows;

/* True for the event types rowimage_rows_parse() takes. */
bool rowimage_is_rows_event(uint8_t event_type);

/*
 * Parses a rows event given from its 19-byte common header to its end (with
 * Connector/C: event->raw_data + event->raw_data_ofs, raw_data_size -
 * raw_data_ofs bytes); `checksum` says the event ends with a 4-byte CRC32 (the
 * FORMAT_DESCRIPTION_EVENT's checksum algorithm is CRC32: MARIADB_RPL.use_checksum).
 * The checksum is not verified.  Compressed events are uncompressed into
 * out->owned.  Pointers in *out point into `event` or out->owned: keep both
 * while decoding.  Returns 0, or -1 with *err filled (out needs no free then).
 */
int rowimage_rows_parse(RowImageRows *out, const uint8_t *event, size_t len, bool checksum,
                        RowImageError *err) GW_MUST_CHECK;
void rowimage_rows_free(RowImageRows *r);

/*
 * Decodes the next row of a parsed rows event, starting at *pos (set *pos =
 * r->data first).  WRITE fills after[], DELETE fills before[], UPDATE both (the
 * other array is left alone: it may be NULL).  t must describe r->table_id with
 * t->ncols == r->ncols.  Returns 1 with *pos advanced, 0 when the images are all
 * consumed, or -1 with *err filled.
 */
int rowimage_rows_next(const RowImageRows *r, const uint8_t **pos, const RowImageTable *t,
                       const MyColumn *cols, RowArena *arena, ChangeValue *before,
                       ChangeValue *after, RowImageError *err) GW_MUST_CHECK;

/*
 * MySQL 8's binary JSON (the value of a MYSQL_TYPE_JSON column, after its length
 * prefix) as JSON text, appended to out: MySQL's own text layout ({"a": 1, "b":
 * [true, null]}, keys in stored order; dates and times as quoted strings, opaque
 * values as "base64:typeN:..."). An empty value is JSON null.  Returns 0, or -1
 * with a message in err.  Untested against a live MySQL server.
 */
int rowimage_json_to_text(const uint8_t *data, size_t len, StrBuf *out, char *err,
                          size_t errlen) GW_MUST_CHECK;

#endif
