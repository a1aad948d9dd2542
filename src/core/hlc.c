/*
 * hlc.c: CockroachDB HLC timestamps as integers (see hlc.h).  It must never
 * go through floating point: nanosecond wall times have 19 digits.
 */
#include "core/hlc.h"

#include <inttypes.h>
#include <stdio.h>

#define HLC_LOGICAL_DIGITS 10

bool
hlc_parse(const char *text, size_t len, Hlc *out)
{
    size_t i = 0;
    int64_t wall = 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
        int d = text[i] - '0';
        if (wall > (INT64_MAX - d) / 10)
            return false;
        wall = wall * 10 + d;
    }
    if (i == 0)
        return false;
    int64_t logical = 0;
    if (i < len) {
        if (text[i++] != '.')
            return false;
        size_t digits = 0;
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
            if (digits == HLC_LOGICAL_DIGITS)
                return false;
            logical = logical * 10 + (text[i] - '0');
        }
        if (digits == 0 || i != len)
            return false;
        for (; digits < HLC_LOGICAL_DIGITS; digits++)
            logical *= 10;
    }
    out->wall = wall;
    out->logical = logical;
    return true;
}

void
hlc_format(Hlc h, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRId64 ".%010" PRId64, h.wall, h.logical);
}

int
hlc_compare(Hlc a, Hlc b)
{
    if (a.wall != b.wall)
        return a.wall < b.wall ? -1 : 1;
    if (a.logical != b.logical)
        return a.logical < b.logical ? -1 : 1;
    return 0;
}
