/*
 * mysql_rowimage_rows.c: rows events (WRITE/UPDATE/DELETE_ROWS in their v1, v2
 * and MariaDB compressed forms) parsed from their raw bytes, and the rows of one
 * event decoded image by image.  Connector/C parses v2 UPDATE events wrongly and
 * refuses the v2 compressed ones (see mysql_rowimage.h), which is why the stream
 * uses this parser for every rows event.
 *
 * It must never read outside the event: every length and count is checked
 * against the event's end (before its checksum) before it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_rowimage_internal.h"
#include "util/mem.h"

#define EVENT_HEADER_LEN 19

/* Binlog event type codes (MariaDB's log_event.h; Connector/C's mariadb_rpl.h has them too). */
enum {
    EV_WRITE_ROWS_V1 = 23, EV_DELETE_ROWS_V1 = 25,
    EV_WRITE_ROWS_V2 = 30, EV_DELETE_ROWS_V2 = 32,
    EV_WRITE_ROWS_COMPRESSED_V1 = 166, EV_WRITE_ROWS_COMPRESSED_V2 = 169,
    EV_DELETE_ROWS_COMPRESSED_V2 = 171,
};

bool
rowimage_is_rows_event(uint8_t type)
{
    return (type >= EV_WRITE_ROWS_V1 && type <= EV_DELETE_ROWS_V1) ||
           (type >= EV_WRITE_ROWS_V2 && type <= EV_DELETE_ROWS_V2) ||
           (type >= EV_WRITE_ROWS_COMPRESSED_V1 && type <= EV_DELETE_ROWS_COMPRESSED_V2);
}

/* MySQL's length-encoded integer; returns its size in bytes, 0 when it does not fit. */
static size_t
read_lenenc(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (p >= end)
        return 0;
    size_t n = *p < 251 ? 1 : *p == 252 ? 3 : *p == 253 ? 4 : *p == 254 ? 9 : 0;
    if (n == 0 || (size_t) (end - p) < n)
        return 0;
    *v = n == 1 ? *p : ri_le_n(p + 1, (unsigned) n - 1);
    return n;
}

/*
 * MariaDB's compressed rows: a header byte 0x80 | (bytes of the length), the
 * uncompressed length big-endian in those bytes, then a zlib stream (binlog_buf_
 * compress in MariaDB's log_event.cc; bits 4-6 name the algorithm, 0 = zlib).
 */
static int
rows_uncompress(RowImageRows *out, const uint8_t *p, const uint8_t *end, RowImageError *err)
{
    if (p >= end)
        return ri_error(err, -1, "compressed rows event without data");
    unsigned h = *p++;
    unsigned lenlen = h & 0x07;
    if ((h & 0x80) == 0 || (h & 0x70) != 0 || lenlen < 1 || lenlen > 4)
        return ri_error(err, -1, "compressed rows event with unknown header 0x%02x", h);
    if ((size_t) (end - p) < lenlen)
        return ri_error(err, -1, "truncated compressed rows event");
    uint64_t ulen = ri_be_n(p, lenlen);
    p += lenlen;
    if (ulen == 0 || ulen > RI_MAX_INFLATED || ulen > RI_INFLATE_BOUND(end - p))
        return ri_error(err, -1, "compressed rows event of %td bytes says %llu uncompressed",
                        end - p, (unsigned long long) ulen);
    out->owned = gw_malloc((size_t) ulen);
    char msg[128];
    if (ri_inflate(p, (size_t) (end - p), out->owned, (size_t) ulen, 15, msg, sizeof msg) != 0) {
        free(out->owned);
        out->owned = NULL;
        return ri_error(err, -1, "compressed rows event: %s", msg);
    }
    out->data = out->owned;
    out->data_len = (size_t) ulen;
    return 0;
}

int
rowimage_rows_parse(RowImageRows *out, const uint8_t *event, size_t len, bool checksum,
                    RowImageError *err)
{
    memset(out, 0, sizeof *out);
    size_t tail = checksum ? 4 : 0;
    if (event == NULL || len < EVENT_HEADER_LEN + tail)
        return ri_error(err, -1, "rows event of %zu bytes is too short", len);
    uint8_t type = event[4];
    uint32_t event_len = ri_le32(event + 9);
    if (event_len != len)
        return ri_error(err, -1, "rows event says %u bytes, %zu given", event_len, len);
    if (!rowimage_is_rows_event(type))
        return ri_error(err, -1, "event type %u is not a rows event", type);

    const uint8_t *p = event + EVENT_HEADER_LEN;
    const uint8_t *end = event + len - tail;
    bool v2 = (type >= EV_WRITE_ROWS_V2 && type <= EV_DELETE_ROWS_V2) ||
              type >= EV_WRITE_ROWS_COMPRESSED_V2;
    bool compressed = type >= EV_WRITE_ROWS_COMPRESSED_V1;
    unsigned base = type >= EV_WRITE_ROWS_COMPRESSED_V2 ? EV_WRITE_ROWS_COMPRESSED_V2
                    : compressed ? EV_WRITE_ROWS_COMPRESSED_V1
                    : v2 ? EV_WRITE_ROWS_V2 : EV_WRITE_ROWS_V1;
    out->kind = (RowImageRowsKind) (type - base);
    out->event_type = type;

    if (end - p < 8)
        goto truncated;
    out->table_id = ri_le32(p) | (uint64_t) ri_le16(p + 4) << 32;
    out->flags = (uint16_t) ri_le16(p + 6);
    p += 8;
    if (v2) {
        /* Extra row data (MySQL): its length counts its own two bytes. */
        if (end - p < 2)
            goto truncated;
        uint32_t extra = ri_le16(p);
        if (extra < 2 || (size_t) (end - p) < extra)
            return ri_error(err, -1, "rows event with extra data of %u bytes", extra);
        p += extra;
    }
    uint64_t ncols;
    size_t n = read_lenenc(p, end, &ncols);
    if (n == 0)
        goto truncated;
    p += n;
    if (ncols == 0 || ncols > 4096)
        return ri_error(err, -1, "rows event with %llu columns", (unsigned long long) ncols);
    out->ncols = (uint32_t) ncols;
    size_t bitmap = (out->ncols + 7) / 8;
    size_t nbitmaps = out->kind == ROWIMAGE_UPDATE ? 2 : 1;
    if ((size_t) (end - p) < bitmap * nbitmaps)
        goto truncated;
    out->present = p;
    p += bitmap;
    if (out->kind == ROWIMAGE_UPDATE) {
        out->present_after = p;
        p += bitmap;
    }
    if (compressed)
        return rows_uncompress(out, p, end, err);
    out->data = p;
    out->data_len = (size_t) (end - p);
    return 0;
truncated:
    return ri_error(err, -1, "truncated rows event (type %u, %zu bytes)", type, len);
}

void
rowimage_rows_free(RowImageRows *r)
{
    free(r->owned);
    memset(r, 0, sizeof *r);
}

int
rowimage_rows_next(const RowImageRows *r, const uint8_t **pos, const RowImageTable *t,
                   const MyColumn *cols, RowArena *arena, ChangeValue *before,
                   ChangeValue *after, RowImageError *err)
{
    const uint8_t *end = r->data + r->data_len;
    if (*pos == end)
        return 0;
    if (*pos < r->data || *pos > end)
        return ri_error(err, -1, "row position outside the rows event");
    if (t->ncols != r->ncols)
        return ri_error(err, -1, "rows event has %u columns, its TABLE_MAP %u", r->ncols,
                        t->ncols);
    const uint8_t *q = *pos;
    switch (r->kind) {
    case ROWIMAGE_WRITE:
        if (after == NULL)
            return ri_error(err, -1, "no place for the after image");
        if (rowimage_decode(t, cols, r->present, &q, end, arena, after, err) != 0)
            return -1;
        break;
    case ROWIMAGE_DELETE:
        if (before == NULL)
            return ri_error(err, -1, "no place for the before image");
        if (rowimage_decode(t, cols, r->present, &q, end, arena, before, err) != 0)
            return -1;
        break;
    case ROWIMAGE_UPDATE:
        if (before == NULL || after == NULL)
            return ri_error(err, -1, "no place for the before and after images");
        if (rowimage_decode(t, cols, r->present, &q, end, arena, before, err) != 0 ||
            rowimage_decode(t, cols, r->present_after, &q, end, arena, after, err) != 0)
            return -1;
        break;
    default:
        return ri_error(err, -1, "unknown rows event kind %d", (int) r->kind);
    }
    if (q == *pos)      /* no column in either image: nothing would ever advance */
        return ri_error(err, -1, "row image without columns");
    *pos = q;
    return 1;
}
