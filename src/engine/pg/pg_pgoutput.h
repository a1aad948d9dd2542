/*
 * pg_pgoutput.h: decoder of the pgoutput logical replication protocol
 * (protocol version 1, PostgreSQL 10+), and of the walsender's CopyData
 * envelope (XLogData 'w', primary keepalive 'k').
 *
 * Pure: no I/O.  Every length is checked against the buffer before it is
 * read, so a malformed or truncated message is an error, never a read
 * past the end.  It owns a relation cache (RelationInfo by relation id), in
 * which a Relation message always replaces what was known of that table.
 */
#ifndef GW_PG_PGOUTPUT_H
#define GW_PG_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/change.h"

typedef struct PgOutputDecoder PgOutputDecoder;

PgOutputDecoder *pgoutput_new(void);
void pgoutput_free(PgOutputDecoder *d);

/* The walsender's envelope. */
typedef enum WalMessageKind { WAL_MSG_XLOGDATA, WAL_MSG_KEEPALIVE } WalMessageKind;
typedef struct WalMessage {
    WalMessageKind kind;
    StreamPos data_start;   /* XLogData: WAL position of the payload */
    StreamPos wal_end;      /* server's WAL end (XLogData) / sent position (keepalive) */
    int64_t send_time;      /* microseconds since 2000-01-01 */
    bool reply_requested;   /* keepalive */
    const char *payload;    /* XLogData: the pgoutput message */
    size_t payload_len;
} WalMessage;

/* Returns 0, or -1 with err set (one line, names the message and what was wrong). */
int pgoutput_parse_envelope(const char *buf, size_t len, WalMessage *out, char *err, size_t errlen);

/*
 * Decodes one pgoutput message into *out.  Tuple values point into buf.
 * Returns 0, or -1 with err set.  An Insert/Update/Delete for a relation id
 * that no Relation message introduced is an error.
 *
 * Lifetimes: tuple values, origin, prefix and content point into buf;
 * old_tuple.values, new_tuple.values and rels are decoder-owned scratch, all
 * valid until the next call.  A RelationInfo pointer (out->rel, rels[i],
 * pgoutput_relation()) is valid until the next Relation message for the same
 * relation id, which frees it, or pgoutput_free().
 * Field use beyond change.h: COMMIT also carries the xid of the preceding
 * Begin (0 if none was seen); MESSAGE carries its LSN in commit_pos.  TYPE
 * messages are validated only: nothing but kind is set.
 */
int pgoutput_decode(PgOutputDecoder *d, const char *buf, size_t len, Change *out, char *err, size_t errlen);

/* Looks a relation up in the cache (NULL if unknown). */
/* PostgreSQL's letter of a replica identity (pgoutput, pg_class.relreplident); false if unknown. */
bool pgoutput_replica_identity(char letter, ReplicaIdentity *out);
const RelationInfo *pgoutput_relation(const PgOutputDecoder *d, uint32_t relid);

/* Builds a standby status update ('r') into buf (34 bytes). */
size_t pgoutput_status_update(char *buf, StreamPos write, StreamPos flush, StreamPos apply, int64_t now,
                              bool reply_requested);

/* "16/B374D848" <-> StreamPos. Returns 0 on success. */
int pg_lsn_parse(const char *text, StreamPos *out);
void pg_lsn_format(StreamPos pos, char *buf, size_t len);

#endif
