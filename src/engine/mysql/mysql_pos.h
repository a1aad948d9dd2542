/*
 * mysql_pos.h: a position in a MySQL/MariaDB binlog.
 *
 * Text form (stored in _godwit state and checkpoints):
 *     "<binlog file>:<offset>"  or  "<binlog file>:<offset> gtid=<gtid list>"
 * e.g. "mysql-bin.000003:1234 gtid=0-1-57".  The GTID list is what the
 * server reports for that point (MariaDB: BINLOG_GTID_POS(); MySQL: the
 * executed GTID set) and is what a stream starts from when present; the
 * file and offset give the total order the flow compares positions by.
 *
 * As a StreamPos (the flow's ordered position type): the binlog file's
 * sequence number (the digits after the last '.') in the high 32 bits and
 * the offset in the low 32 bits.  Binlog files of one server are numbered in
 * order and an offset never reaches 4 GiB (max_binlog_size is at most 1 GiB),
 * so this order is the binlog's order.
 */
#ifndef GW_MYSQL_POS_H
#define GW_MYSQL_POS_H

#include <stddef.h>
#include <stdint.h>

#include "core/change.h"

typedef struct MyPos {
    char file[256];         /* binlog file name, no directory */
    uint32_t offset;
    char gtid[1024];        /* "" when unknown */
} MyPos;

/* Parses the text form; returns 0, or -1 when malformed. */
int mysql_pos_parse(const char *text, MyPos *out);
/* Writes the text form into buf (len >= 1); truncation is the caller's bug. */
void mysql_pos_format(const MyPos *pos, char *buf, size_t len);
/* The ordered position of file:offset; 0 when the file name has no sequence number. */
StreamPos mysql_pos_order(const char *file, uint32_t offset);

#endif
