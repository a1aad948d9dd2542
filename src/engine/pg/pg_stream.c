/*
 * pg_stream.c: the change stream of a PostgreSQL source: a walsender
 * connection streaming the phase's slot with pgoutput, modelled on
 * pg_recvlogical's loop.
 *
 * It reports to the server, as flushed, only what the caller confirmed the
 * target has committed (DESIGN.md, "Exactly-once apply"), sends a status
 * update at least every STATUS_INTERVAL so wal_sender_timeout never fires,
 * and answers the server's reply requests at once.  Keepalives carry how far
 * the server has sent; every change before that has been delivered, which
 * is how an idle phase's confirmed position keeps advancing while other
 * tables are busy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "engine/pg/pg_conn.h"
#include "engine/pg/pg_describe.h"
#include "engine/pg/pg_pgoutput.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Microseconds between unsolicited status updates: well under wal_sender_timeout (60 s by default). */
#define STATUS_INTERVAL_US (10LL * 1000000)
/* Microseconds between two updates that report a newly confirmed position. */
#define CONFIRM_INTERVAL_US 1000000LL
/*
 * While messages keep coming, the clock (for the intervals above) is read
 * once per this many of them, and after every wait: read per message, it
 * cost more CPU than decoding them on a virtual machine's clock.
 */
#define STATUS_CHECK_MESSAGES 64


struct ChangeStream {
    PgConn *owner;          /* for the side, endpoint and error reports */
    PGconn *repl;
    PgOutputDecoder *decoder;
    char *chunk;            /* last PQgetCopyData buffer */
    StreamPos sent;         /* from keepalives */
    StreamPos confirmed;
    StreamPos reported;     /* confirmed as of the last status update */
    int64_t last_status_us;
    unsigned unchecked;     /* messages read since the clock was last read */
    uint64_t bytes;
};

static GwResult
stream_error(ChangeStream *s, PGresult *res, const char *what)
{
    return pg_report_on(s->owner, s->repl, res, what);
}

/* Writes a status update reporting s->confirmed as written, flushed and applied; false if it could not. */
static bool
put_status(ChangeStream *s, bool reply_requested)
{
    char buf[64];
    int64_t now = change_clock_now();
    size_t n = pgoutput_status_update(buf, s->confirmed, s->confirmed, s->confirmed, now, reply_requested);
    if (PQputCopyData(s->repl, buf, (int) n) <= 0 || PQflush(s->repl) != 0)
        return false;
    s->last_status_us = now;
    s->reported = s->confirmed;
    return true;
}

static GwResult
send_status(ChangeStream *s, bool reply_requested)
{
    return put_status(s, reply_requested) ? GW_OK : stream_error(s, NULL, "sending a standby status update");
}

static char *
publication_list(const char *pubs)
{
    /* "a,b" -> "\"a\",\"b\"": pgoutput parses the option as a list of identifiers. */
    StrBuf sb;
    strbuf_init(&sb);
    const char *p = pubs;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *name = gw_strndup(p, len);
        char *q = pg_quote_ident(name);
        strbuf_appendf(&sb, "%s%s", sb.len ? "," : "", q);
        free(q);
        free(name);
        p += len;
        if (*p == ',')
            p++;
    }
    return strbuf_take(&sb);
}

GwResult
pg_stream_open(EngineConn *conn, const PhaseState *ps, StreamPos start, ChangeStream **out)
{
    PgConn *c = PG(conn);
    if (!ps->slot || !ps->publications) {
        log_error("source %s: phase '%s' has no replication slot: it was fetched with --no-stream",
                  conn->endpoint->redacted, ps->name);
        return GW_ERR_USAGE;
    }
    ChangeStream *s = gw_calloc(1, sizeof *s);
    s->owner = c;
    s->confirmed = start;
    GwResult rc = pg_open(conn->endpoint, true, &s->repl);
    if (rc) {
        free(s);
        return rc;
    }
    char lsn[32];
    pg_lsn_format(start, lsn, sizeof lsn);
    char *slot = pg_quote_ident(ps->slot);
    char *pubs = publication_list(ps->publications);
    char *pubs_lit = pg_quote_literal(pubs);
    char *cmd = gw_asprintf("START_REPLICATION SLOT %s LOGICAL %s (proto_version '1', publication_names %s)", slot,
                            lsn, pubs_lit);
    free(slot);
    free(pubs);
    free(pubs_lit);
    PGresult *res = PQexec(s->repl, cmd);
    free(cmd);
    if (PQresultStatus(res) != PGRES_COPY_BOTH) {
        rc = stream_error(s, res, "starting replication");
        PQclear(res);
        PQfinish(s->repl);
        free(s);
        return rc;
    }
    PQclear(res);
    s->decoder = pgoutput_new();
    s->last_status_us = change_clock_now();
    log_info("streaming slot %s from %s", ps->slot, lsn);
    *out = s;
    return GW_OK;
}

void
pg_stream_close(ChangeStream *s)
{
    if (!s)
        return;
    if (s->chunk)
        PQfreemem(s->chunk);
    /* A last status update, so the slot does not lag behind what was applied; moot if the stream is gone. */
    if (PQstatus(s->repl) == CONNECTION_OK && PQtransactionStatus(s->repl) == PQTRANS_ACTIVE)
        (void) put_status(s, false);
    PQfinish(s->repl);
    pgoutput_free(s->decoder);
    free(s);
}

StreamPos
pg_stream_sent_pos(ChangeStream *s)
{
    return s->sent;
}

uint64_t
pg_stream_bytes(ChangeStream *s)
{
    return s->bytes;
}

GwResult
pg_stream_confirm(ChangeStream *s, StreamPos applied, bool request_reply)
{
    if (applied > s->confirmed)
        s->confirmed = applied;
    if (request_reply || (s->confirmed > s->reported && change_clock_now() - s->last_status_us >= CONFIRM_INTERVAL_US))
        return send_status(s, request_reply);
    return GW_OK;
}

/* Waits until the socket is readable or timeout_ms passes; *ready tells which. */
static GwResult
wait_readable(ChangeStream *s, int timeout_ms, bool *ready)
{
    int fd = PQsocket(s->repl);
    if (fd < 0)
        return stream_error(s, NULL, "replication connection lost");
    fd_set rfds;
    FD_ZERO(&rfds);
    FD_SET(fd, &rfds);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int n = select(fd + 1, &rfds, NULL, NULL, &tv);
    if (n < 0 && errno != EINTR)
        return stream_error(s, NULL, "waiting for the replication stream");
    *ready = n > 0;
    if (*ready && !PQconsumeInput(s->repl))
        return stream_error(s, NULL, "reading the replication stream");
    return GW_OK;
}

/*
 * The server ended the stream: it is shutting down or its walsender was
 * terminated.  Without an error code of its own this is a lost connection,
 * which the caller retries.
 */
static GwResult
stream_ended(ChangeStream *s)
{
    PGresult *res = PQgetResult(s->repl);
    GwResult rc = stream_error(s, res, "the replication stream ended");
    if (s->owner->sqlstate[0] == '\0')
        snprintf(s->owner->sqlstate, sizeof s->owner->sqlstate, "08006");
    PQclear(res);
    return rc;
}

GwResult
pg_stream_next(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *change)
{
    for (;;) {
        /* A position confirmed too soon after the last update is reported once the interval is over. */
        int64_t since = s->unchecked == 0 ? change_clock_now() - s->last_status_us : 0;
        if (since >= STATUS_INTERVAL_US || (s->confirmed > s->reported && since >= CONFIRM_INTERVAL_US)) {
            GwResult rc = send_status(s, false);
            if (rc)
                return rc;
        }
        s->unchecked = (s->unchecked + 1) % STATUS_CHECK_MESSAGES;
        if (s->chunk) {
            PQfreemem(s->chunk);
            s->chunk = NULL;
        }
        int n = PQgetCopyData(s->repl, &s->chunk, 1);
        if (n == 0) {
            bool ready;
            GwResult rc = wait_readable(s, timeout_ms, &ready);
            if (rc)
                return rc;
            s->unchecked = 0;
            if (!ready) {
                *ev = STREAM_IDLE;
                return GW_OK;
            }
            continue;
        }
        if (n == -1)
            return stream_ended(s);
        if (n < 0)
            return stream_error(s, NULL, "reading the replication stream");
        s->bytes += (uint64_t) n;

        WalMessage msg;
        char err[256];
        if (pgoutput_parse_envelope(s->chunk, (size_t) n, &msg, err, sizeof err) != 0) {
            log_error("%s %s: %s", role_name(s->owner->base.role), s->owner->base.endpoint->redacted, err);
            return role_error(s->owner->base.role);
        }
        if (msg.kind == WAL_MSG_KEEPALIVE) {
            if (msg.wal_end > s->sent)
                s->sent = msg.wal_end;
            if (msg.reply_requested) {
                GwResult rc = send_status(s, false);
                if (rc)
                    return rc;
            }
            *ev = STREAM_IDLE;
            return GW_OK;
        }
        if (pgoutput_decode(s->decoder, msg.payload, msg.payload_len, change, err, sizeof err) != 0) {
            log_error("%s %s: %s", role_name(s->owner->base.role), s->owner->base.endpoint->redacted, err);
            return role_error(s->owner->base.role);
        }
        *ev = STREAM_CHANGE;
        return GW_OK;
    }
}

GwResult
pg_current_pos(EngineConn *conn, StreamPos *out)
{
    PGresult *res;
    GwResult rc = pg_query(PG(conn), "SELECT pg_catalog.pg_current_wal_insert_lsn()::text", 1, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1 || pg_lsn_parse(PQgetvalue(res, 0, 0), out) != 0)
        rc = pg_report(PG(conn), NULL, "reading the current WAL position");
    PQclear(res);
    return rc;
}

int
pg_parse_pos(const char *text, StreamPos *out)
{
    return pg_lsn_parse(text, out);
}

void
pg_format_pos(StreamPos pos, char *buf, size_t len)
{
    pg_lsn_format(pos, buf, len);
}
