/*
 * mysql_binlog_reader.h: a thread that reads a MySQL/MariaDB binlog stream
 * (COM_BINLOG_DUMP through Connector/C's mariadb_rpl) into a bounded queue.
 *
 * mariadb_rpl_fetch() blocks until the server sends an event, and the
 * connector reads ahead into its own buffer, so the stream cannot poll the
 * socket to tell "nothing yet" from "something buffered".  The reader thread
 * owns the binlog connection; the stream takes events from the queue with a
 * timeout.  Decoding stays in the stream's thread, which also spreads the
 * work of a busy stream over two cores.
 */
#ifndef GW_MYSQL_BINLOG_READER_H
#define GW_MYSQL_BINLOG_READER_H

#include <mysql.h>
#include <mariadb_rpl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BinlogReader BinlogReader;

/* What the binlog dump starts from and identifies itself as. */
typedef struct BinlogStart {
    const char *file;
    uint32_t offset;
    uint32_t server_id;
    unsigned heartbeat_ms;
} BinlogStart;

/*
 * Starts the dump on db (an open connection the reader takes over: it is
 * closed by binlog_reader_stop) and the reader thread.  Returns 0, or -1
 * with the server's error in errnum/err (db is closed then).
 */
int binlog_reader_start(MYSQL *db, const BinlogStart *start, BinlogReader **out, unsigned *errnum, char *err,
                        size_t errlen);

/*
 * The next event, waiting up to timeout_ms: 1 with *ev (the caller frees it
 * with mariadb_free_rpl_event) and *checksum (the event ends with a CRC32),
 * 0 when none came in time, -1 when the stream ended: errnum and err say why.
 */
int binlog_reader_next(BinlogReader *r, int timeout_ms, MARIADB_RPL_EVENT **ev, bool *checksum, unsigned *errnum,
                       char *err, size_t errlen);

/* Bytes of events received so far. */
uint64_t binlog_reader_bytes(BinlogReader *r);

/* Stops the thread, frees what is queued, closes the connection. */
void binlog_reader_stop(BinlogReader *r);

#endif
