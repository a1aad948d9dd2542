/*
 * mysql_pos.c: binlog positions in text and as ordered numbers (mysql_pos.h).
 */
#include "engine/mysql/mysql_pos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
mysql_pos_parse(const char *text, MyPos *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(text, ':');
    const char *space = strchr(text, ' ');
    if (space && colon && colon > space)
        colon = memrchr(text, ':', (size_t) (space - text));
    if (!colon || colon == text || (size_t) (colon - text) >= sizeof out->file)
        return -1;
    memcpy(out->file, text, (size_t) (colon - text));
    char *end;
    unsigned long long off = strtoull(colon + 1, &end, 10);
    if (end == colon + 1 || off > UINT32_MAX)
        return -1;
    out->offset = (uint32_t) off;
    if (*end == '\0')
        return 0;
    if (strncmp(end, " gtid=", 6) != 0 || strlen(end + 6) >= sizeof out->gtid)
        return -1;
    strcpy(out->gtid, end + 6);
    return 0;
}

void
mysql_pos_format(const MyPos *pos, char *buf, size_t len)
{
    if (pos->gtid[0])
        snprintf(buf, len, "%s:%u gtid=%s", pos->file, pos->offset, pos->gtid);
    else
        snprintf(buf, len, "%s:%u", pos->file, pos->offset);
}

StreamPos
mysql_pos_order(const char *file, uint32_t offset)
{
    const char *dot = strrchr(file, '.');
    if (!dot || !dot[1])
        return 0;
    char *end;
    unsigned long seq = strtoul(dot + 1, &end, 10);
    if (*end != '\0' || seq > UINT32_MAX)
        return 0;
    return ((StreamPos) seq << 32) | offset;
}
