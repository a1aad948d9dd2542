/*
 * fuzz_rowimage.c: libFuzzer target for the MariaDB/MySQL binlog row-image
 * decoder (engine/mysql/mysql_rowimage*.c): TABLE_MAP column types and
 * metadata, a rows event parsed from its raw bytes (compressed events
 * inflated), and every row image of it decoded into text values.
 *
 * Input layout (make_seeds.py writes seeds from the recorded binlogs):
 *   1 byte                 number of columns, 1 + b % FUZZ_MAX_COLS
 *   4 bytes per column     binlog type; catalog kind (% number of kinds);
 *                          attributes (bits 0-1 charset, 2-4 scale, 5 zero
 *                          dates null, 6 generated, 7 int8 checked);
 *                          length (CHAR/BINARY/BIT length, ENUM/SET labels)
 *   1 byte                 length of the TABLE_MAP metadata, then the metadata
 *   1 byte                 bit 0: the event ends with a CRC32
 *   the rest               the rows event, from its 19-byte common header
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_rowimage.h"
#include "fuzz_common.h"

#define FUZZ_MAX_COLS 16
#define FUZZ_LABELS 64

static const MyValueKind kinds[] = {
    MYV_INT, MYV_UINT, MYV_BOOL, MYV_DECIMAL, MYV_FLOAT, MYV_DOUBLE, MYV_BIT, MYV_TEXT, MYV_BYTES,
    MYV_DATE, MYV_DATETIME, MYV_TIMESTAMP, MYV_TIME, MYV_YEAR, MYV_ENUM, MYV_SET, MYV_JSON,
};

static char *labels[FUZZ_LABELS];

static void
labels_init(void)
{
    static char store[FUZZ_LABELS][8];
    for (int i = 0; i < FUZZ_LABELS; i++) {
        snprintf(store[i], sizeof store[i], i % 7 == 3 ? "l %d" : "l%d", i);
        labels[i] = store[i];
    }
}

static MyColumn
column_from(const uint8_t *b)
{
    int scale = (b[2] >> 2) & 7;
    return (MyColumn){
        .name = "c",
        .kind = kinds[b[1] % (sizeof kinds / sizeof kinds[0])],
        .charset = (MyCharset) ((b[2] & 3) % 3),
        .length = b[3],
        .precision = 65,
        .scale = scale > 6 ? 6 : scale,
        .labels = labels,
        .nlabels = 1 + (size_t) b[3] % FUZZ_LABELS,
        .generated = (b[2] >> 6) & 1,
        .zero_dates_null = (b[2] >> 5) & 1,
        .int8_checked = (b[2] >> 7) & 1,
    };
}

static void
touch_values(const ChangeValue *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i].kind == VALUE_TEXT)
            fuzz_touch(v[i].data, v[i].len);
}

static void
decode_rows(const RowImageRows *r, const RowImageTable *t, const MyColumn *cols, RowArena *arena)
{
    ChangeValue before[FUZZ_MAX_COLS], after[FUZZ_MAX_COLS];
    const uint8_t *pos = r->data;
    RowImageError err;
    int rc;
    while ((rc = rowimage_rows_next(r, &pos, t, cols, arena, before, after, &err)) == 1) {
        if (r->kind != ROWIMAGE_WRITE)
            touch_values(before, t->ncols);
        if (r->kind != ROWIMAGE_DELETE)
            touch_values(after, t->ncols);
    }
    if (rc < 0)
        fuzz_touch_str(err.message);
}

static void
decode_event(const RowImageTable *t, const MyColumn *cols, const uint8_t *event, size_t len, bool checksum)
{
    RowImageRows r;
    RowImageError err;
    if (rowimage_rows_parse(&r, event, len, checksum, &err) != 0)
        return;
    if (r.ncols == t->ncols) {
        RowArena *arena = rowarena_new();
        decode_rows(&r, t, cols, arena);
        rowarena_free(arena);
    }
    rowimage_rows_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (labels[0] == NULL)
        labels_init();
    if (size < 1)
        return 0;
    uint32_t ncols = 1 + data[0] % FUZZ_MAX_COLS;
    size_t pos = 1;
    if (size - pos < 4 * (size_t) ncols + 1)
        return 0;
    uint8_t types[FUZZ_MAX_COLS];
    MyColumn cols[FUZZ_MAX_COLS];
    for (uint32_t c = 0; c < ncols; c++, pos += 4) {
        types[c] = data[pos];
        cols[c] = column_from(data + pos);
    }
    size_t meta_len = data[pos++];
    if (size - pos < meta_len + 1)
        return 0;
    const uint8_t *meta = data + pos;
    pos += meta_len;
    bool checksum = data[pos++] & 1;
    RowImageTable t;
    char msg[256];
    if (rowimage_table_init(&t, types, ncols, meta, meta_len, msg, sizeof msg) != 0)
        return 0;
    /* A copy of exactly the event's bytes, so that a read past its end is caught. */
    size_t len = size - pos;
    uint8_t *event = malloc(len ? len : 1);
    memcpy(event, data + pos, len);
    decode_event(&t, cols, event, len, checksum);
    free(event);
    rowimage_table_free(&t);
    return 0;
}
