/*
 * mysql_rowimage_zlib.c: inflating MariaDB's compressed rows events and
 * compressed columns with zlib.
 *
 *
 * It must never write past dst_len bytes or accept a stream whose length is not
 * exactly the one the event states.
 */
#include <limits.h>
#include <stdio.h>

#define ZLIB_CONST
#include <zlib.h>

#include "engine/mysql/mysql_rowimage_internal.h"

int
ri_inflate(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, int wbits,
           char *err, size_t errlen)
{
    if (src_len > UINT_MAX || dst_len > UINT_MAX) {
        snprintf(err, errlen, "compressed data too large");
        return -1;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK) {
        snprintf(err, errlen, "zlib inflateInit2 failed");
        return -1;
    }
    zs.next_in = src;
    zs.avail_in = (uInt) src_len;
    zs.next_out = dst;
    zs.avail_out = (uInt) dst_len;
    int rc = inflate(&zs, Z_FINISH);
    int result = 0;
    if (rc == Z_STREAM_END && zs.total_out == dst_len && zs.avail_in == 0) {
        result = 0;
    } else if (rc == Z_STREAM_END) {
        snprintf(err, errlen, "%s after %lu of %zu bytes",
                 zs.avail_in ? "trailing bytes after the compressed data" : "data ends early",
                 (unsigned long) zs.total_out, dst_len);
        result = -1;
    } else if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
        snprintf(err, errlen, "data longer than the stated %zu bytes", dst_len);
        result = -1;
    } else {
        snprintf(err, errlen, "corrupt compressed data (zlib: %s)", zs.msg ? zs.msg : "truncated");
        result = -1;
    }
    inflateEnd(&zs);
    return result;
}
