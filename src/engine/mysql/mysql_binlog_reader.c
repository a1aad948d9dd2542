/*
 * mysql_binlog_reader.c: the binlog dump thread and its bounded queue
 * (mysql_binlog_reader.h).  It only moves events; it never interprets them,
 * and it never holds more than READER_MAX_EVENTS of them or (counting what
 * the connector allocates per event) READER_MAX_BYTES, but at least one.
 */
#include "engine/mysql/mysql_binlog_reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"
#include "util/mem.h"

/* Events held between the reader and the stream: bounded in number and in bytes. */
#define READER_MAX_EVENTS 2048
#define READER_MAX_BYTES (16u << 20)
/* What Connector/C allocates for every event besides its data: a memory root with an 8 kB first block. */
#define READER_EVENT_OVERHEAD 8192

typedef struct QueuedEvent {
    MARIADB_RPL_EVENT *ev;
    bool checksum;
    size_t bytes;
} QueuedEvent;

struct BinlogReader {
    MYSQL *db;
    MARIADB_RPL *rpl;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    QueuedEvent *queue;     /* ring buffer */
    size_t cap, head, count;
    size_t bytes_queued;
    uint64_t bytes_total;
    bool server_checksum;   /* the server's binlog_checksum is not NONE */
    bool seen_format;       /* a FORMAT_DESCRIPTION_EVENT told the connector the checksum of its file */
    bool stopping;
    bool ended;             /* the dump ended: errnum/err say why */
    unsigned errnum;
    char err[512];
};

/* Whether the server writes checksums (binlog_checksum other than NONE). */
static int
server_checksum(MYSQL *db, bool *out)
{
    if (mysql_query(db, "SELECT @@global.binlog_checksum") != 0)
        return -1;
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    *out = row && row[0] && strcasecmp(row[0], "NONE") != 0;
    mysql_free_result(res);
    return row ? 0 : -1;
}

static int
set_session(MYSQL *db, const BinlogStart *start)
{
    char sql[160];
    /* Checksums as the server writes them, GTID events as they are (capability 4), and a heartbeat when idle. */
    if (mysql_query(db, "SET @master_binlog_checksum = @@global.binlog_checksum") != 0 ||
        mysql_query(db, "SET @mariadb_slave_capability = 4") != 0)
        return -1;
    snprintf(sql, sizeof sql, "SET @master_heartbeat_period = %llu",
             (unsigned long long) start->heartbeat_ms * 1000000ULL);
    return mysql_query(db, sql) != 0 ? -1 : 0;
}

static void
record_end(BinlogReader *r, unsigned errnum, const char *msg)
{
    pthread_mutex_lock(&r->mu);
    if (!r->ended) {
        r->ended = true;
        r->errnum = errnum;
        snprintf(r->err, sizeof r->err, "%s", msg);
    }
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mu);
}

/* Waits for room, then queues ev; false when stopping. */
static bool
push(BinlogReader *r, MARIADB_RPL_EVENT *ev, bool checksum)
{
    size_t bytes = ev->raw_data_size + sizeof *ev + READER_EVENT_OVERHEAD;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping && r->count > 0 &&
           (r->bytes_queued + bytes > READER_MAX_BYTES || r->count >= READER_MAX_EVENTS))
        pthread_cond_wait(&r->changed, &r->mu);
    if (r->stopping) {
        pthread_mutex_unlock(&r->mu);
        return false;
    }
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        QueuedEvent *q = gw_calloc(cap, sizeof *q);
        for (size_t i = 0; i < r->count; i++)
            q[i] = r->queue[(r->head + i) % r->cap];
        free(r->queue);
        r->queue = q;
        r->cap = cap;
        r->head = 0;
    }
    r->queue[(r->head + r->count) % r->cap] = (QueuedEvent) {.ev = ev, .checksum = checksum, .bytes = bytes};
    r->count++;
    r->bytes_queued += bytes;
    r->bytes_total += ev->raw_data_size;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mu);
    return true;
}

static void *
reader_main(void *arg)
{
    BinlogReader *r = arg;
    for (;;) {
        MARIADB_RPL_EVENT *ev = mariadb_rpl_fetch(r->rpl, NULL);
        if (!ev) {
            unsigned n = mysql_errno(r->db);
            record_end(r, n ? n : 2013, n ? mysql_error(r->db) : "the server ended the binlog stream");
            return NULL;
        }
        /*
         * Read here: the connector updates it from each file's FORMAT_DESCRIPTION_EVENT.  The
         * artificial ROTATE event that starts a dump comes before any, with the server's checksum.
         */
        if (ev->event_type == FORMAT_DESCRIPTION_EVENT)
            r->seen_format = true;
        bool checksum = r->seen_format ? r->rpl->use_checksum != 0 : r->server_checksum;
        if (!push(r, ev, checksum)) {
            mariadb_free_rpl_event(ev);
            return NULL;
        }
    }
}

int
binlog_reader_start(MYSQL *db, const BinlogStart *start, BinlogReader **out, unsigned *errnum, char *err,
                    size_t errlen)
{
    *out = NULL;
    MARIADB_RPL *rpl = NULL;
    bool checksum = false;
    if (server_checksum(db, &checksum) != 0 || set_session(db, start) != 0 || !(rpl = mariadb_rpl_init(db)) ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, start->file, strlen(start->file)) != 0 ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, (unsigned long) start->offset) != 0 ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, start->server_id) != 0 ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, 0u) != 0 || mariadb_rpl_open(rpl) != 0) {
        *errnum = mysql_errno(db);
        snprintf(err, errlen, "%s", mysql_error(db));
        if (rpl)
            mariadb_rpl_close(rpl);
        mysql_close(db);
        return -1;
    }
    BinlogReader *r = gw_calloc(1, sizeof *r);
    r->db = db;
    r->rpl = rpl;
    r->server_checksum = checksum;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->changed, NULL);
    if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
        *errnum = 0;
        snprintf(err, errlen, "cannot start the binlog reader thread");
        mariadb_rpl_close(rpl);
        mysql_close(db);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->changed);
        free(r);
        return -1;
    }
    *out = r;
    return 0;
}

static struct timespec
deadline_after(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int
binlog_reader_next(BinlogReader *r, int timeout_ms, MARIADB_RPL_EVENT **ev, bool *checksum, unsigned *errnum,
                   char *err, size_t errlen)
{
    struct timespec deadline = deadline_after(timeout_ms);
    pthread_mutex_lock(&r->mu);
    while (r->count == 0 && !r->ended) {
        if (pthread_cond_timedwait(&r->changed, &r->mu, &deadline) == ETIMEDOUT)
            break;
    }
    int rc = 0;
    if (r->count > 0) {
        QueuedEvent q = r->queue[r->head];
        r->head = (r->head + 1) % r->cap;
        r->count--;
        r->bytes_queued -= q.bytes;
        *ev = q.ev;
        *checksum = q.checksum;
        pthread_cond_broadcast(&r->changed);
        rc = 1;
    } else if (r->ended) {
        *errnum = r->errnum;
        snprintf(err, errlen, "%s", r->err);
        rc = -1;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

uint64_t
binlog_reader_bytes(BinlogReader *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t n = r->bytes_total;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void
binlog_reader_stop(BinlogReader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mu);
    /* A fetch blocked on the socket returns once the socket is shut down. */
    my_socket fd = mysql_get_socket(r->db);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    pthread_join(r->thread, NULL);
    for (size_t i = 0; i < r->count; i++)
        mariadb_free_rpl_event(r->queue[(r->head + i) % r->cap].ev);
    free(r->queue);
    mariadb_rpl_close(r->rpl);
    mysql_close(r->db);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->changed);
    free(r);
}
