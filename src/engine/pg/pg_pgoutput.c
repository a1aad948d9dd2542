/*
 * pg_pgoutput.c: decoder of the pgoutput logical replication protocol
 * (version 1) and of the walsender's CopyData envelope, and builder of the
 * standby status update (see pg_pgoutput.h).
 *
 * Every byte arrives from the network, so this file must never read a byte
 * it has not checked against the message length, never believe a count
 * (columns, relations, value lengths) before comparing it with the bytes that
 * remain, and never do I/O or log: an error is one line in the caller's
 * buffer, naming the message, the relation when known, and the byte offset.
 *
 * Memory: the relation cache owns every RelationInfo; tuple values and the
 * Truncate relation list live in scratch arrays that grow to the widest
 * message seen and are then reused, so steady-state decoding of Insert,
 * Update, Delete and Truncate allocates nothing.
 */
#include "engine/pg/pg_pgoutput.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/mem.h"
#include "util/result.h"

/* PostgreSQL's MaxTupleAttributeNumber: no table or tuple has more columns. */
#define PGOUTPUT_MAX_COLS 1664

/* The smallest encoding of one Relation column: flags, "", type, typmod. */
#define PGOUTPUT_MIN_COL_BYTES 10

struct PgOutputDecoder {
    /* Relation cache: open addressing on relid, nslots a power of two, at most half full. */
    RelationInfo **slots;
    size_t nslots;
    size_t nrels;
    /* Scratch reused across calls; old and new tuples must not share one. */
    ChangeValue *old_vals;
    size_t old_cap;
    ChangeValue *new_vals;
    size_t new_cap;
    const RelationInfo **trunc_rels;
    size_t trunc_cap;
    /* xid of the last Begin, reported again on its Commit. */
    uint32_t xid;
};

/* A cursor over one message; every read goes through rd_need(). */
typedef struct Reader {
    const unsigned char *buf;
    size_t len;
    size_t pos;
    const char *source;         /* "pgoutput" or "walsender" */
    const char *msg;            /* "Begin", "Update", "XLogData", ... */
    const RelationInfo *rel;    /* named in errors once known */
    char *err;
    size_t errlen;
} Reader;

static void rd_fail(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Formats the one-line error.  Names in it come from the wire and could hold
 * a newline or an escape sequence, so control characters are replaced: the
 * message goes to a log that must stay one line per event.
 */
static void
rd_fail(Reader *r, const char *fmt, ...)
{
    if (!r->err || r->errlen == 0)
        return;
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->rel)
        snprintf(r->err, r->errlen, "%s %s for relation %s.%s: %s", r->source, r->msg, r->rel->schema,
                 r->rel->name, what);
    else
        snprintf(r->err, r->errlen, "%s %s: %s", r->source, r->msg, what);
    for (char *p = r->err; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* A byte as it reads best in an error: 'x' (0x78), or 0x01 alone. */
static const char *
byte_repr(uint8_t b, char *buf, size_t len)
{
    if (b >= 0x20 && b < 0x7f)
        snprintf(buf, len, "'%c' (0x%02x)", b, b);
    else
        snprintf(buf, len, "0x%02x", b);
    return buf;
}

static int GW_MUST_CHECK
rd_need(Reader *r, size_t n, const char *field)
{
    if (r->len - r->pos >= n)
        return 0;
    rd_fail(r, "%s truncated at byte %zu of %zu", field, r->pos, r->len);
    return -1;
}

static int GW_MUST_CHECK
rd_u8(Reader *r, const char *field, uint8_t *out)
{
    if (rd_need(r, 1, field))
        return -1;
    *out = r->buf[r->pos++];
    return 0;
}

static int GW_MUST_CHECK
rd_u16(Reader *r, const char *field, uint16_t *out)
{
    if (rd_need(r, 2, field))
        return -1;
    const unsigned char *p = r->buf + r->pos;
    *out = (uint16_t) ((unsigned) p[0] << 8 | p[1]);
    r->pos += 2;
    return 0;
}

static int GW_MUST_CHECK
rd_u32(Reader *r, const char *field, uint32_t *out)
{
    if (rd_need(r, 4, field))
        return -1;
    const unsigned char *p = r->buf + r->pos;
    *out = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
    r->pos += 4;
    return 0;
}

static int GW_MUST_CHECK
rd_u64(Reader *r, const char *field, uint64_t *out)
{
    if (rd_need(r, 8, field))
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | r->buf[r->pos + (size_t) i];
    r->pos += 8;
    *out = v;
    return 0;
}

/* A NUL-terminated String; *out points into the message, terminator included. */
static int GW_MUST_CHECK
rd_str(Reader *r, const char *field, const char **out)
{
    const unsigned char *nul = r->len > r->pos ? memchr(r->buf + r->pos, '\0', r->len - r->pos) : NULL;
    if (!nul) {
        rd_fail(r, "%s truncated at byte %zu of %zu (no terminating NUL)", field, r->pos, r->len);
        return -1;
    }
    *out = (const char *) r->buf + r->pos;
    r->pos = (size_t) (nul - r->buf) + 1;
    return 0;
}

/*
 * pgoutput messages have exact sizes.  Bytes left over mean the server speaks
 * another protocol version (version 2 adds an xid to several messages), and
 * decoding on would misread every field, so they are an error.
 */
static int GW_MUST_CHECK
rd_end(Reader *r)
{
    if (r->pos == r->len)
        return 0;
    rd_fail(r, "%zu unexpected bytes at byte %zu of %zu", r->len - r->pos, r->pos, r->len);
    return -1;
}

/* ---- relation cache ---- */

static size_t
rel_slot(uint32_t relid, size_t nslots)
{
    return (size_t) (relid * 2654435761u) & (nslots - 1);
}

static void
rel_free(RelationInfo *rel)
{
    if (!rel)
        return;
    for (uint16_t i = 0; i < rel->ncols; i++)
        free(rel->cols[i].name);
    free(rel->cols);
    free(rel->schema);
    free(rel->name);
    free(rel);
}

/* Puts rel into slots without growing; returns what it replaced (or NULL). */
static RelationInfo *
rel_place(RelationInfo **slots, size_t nslots, RelationInfo *rel)
{
    size_t i = rel_slot(rel->id, nslots);
    while (slots[i] && slots[i]->id != rel->id)
        i = (i + 1) & (nslots - 1);
    RelationInfo *old = slots[i];
    slots[i] = rel;
    return old;
}

/* Caches rel, freeing what was known of the same relation id before. */
static void
rel_store(PgOutputDecoder *d, RelationInfo *rel)
{
    if ((d->nrels + 1) * 2 > d->nslots) {
        size_t n = d->nslots ? d->nslots * 2 : 64;
        RelationInfo **slots = gw_calloc(n, sizeof *slots);
        for (size_t i = 0; i < d->nslots; i++)
            if (d->slots[i])
                (void) rel_place(slots, n, d->slots[i]);
        free(d->slots);
        d->slots = slots;
        d->nslots = n;
    }
    RelationInfo *old = rel_place(d->slots, d->nslots, rel);
    if (old)
        rel_free(old);
    else
        d->nrels++;
}

bool
pgoutput_replica_identity(char letter, ReplicaIdentity *out)
{
    switch (letter) {
    case 'd': *out = REPLICA_IDENTITY_DEFAULT; return true;
    case 'f': *out = REPLICA_IDENTITY_FULL; return true;
    case 'i': *out = REPLICA_IDENTITY_INDEX; return true;
    case 'n': *out = REPLICA_IDENTITY_NOTHING; return true;
    default: return false;
    }
}

const RelationInfo *
pgoutput_relation(const PgOutputDecoder *d, uint32_t relid)
{
    if (!d || d->nslots == 0)
        return NULL;
    size_t i = rel_slot(relid, d->nslots);
    while (d->slots[i]) {
        if (d->slots[i]->id == relid)
            return d->slots[i];
        i = (i + 1) & (d->nslots - 1);
    }
    return NULL;
}

PgOutputDecoder *
pgoutput_new(void)
{
    return gw_calloc(1, sizeof(PgOutputDecoder));
}

void
pgoutput_free(PgOutputDecoder *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nslots; i++)
        rel_free(d->slots[i]);
    free(d->slots);
    free(d->old_vals);
    free(d->new_vals);
    free(d->trunc_rels);
    free(d);
}

/* ---- messages ---- */

static int GW_MUST_CHECK
decode_begin(PgOutputDecoder *d, Reader *r, Change *out)
{
    uint64_t lsn, ts;
    uint32_t xid;
    if (rd_u64(r, "final LSN", &lsn) || rd_u64(r, "commit timestamp", &ts) || rd_u32(r, "xid", &xid) || rd_end(r))
        return -1;
    out->kind = CHANGE_BEGIN;
    out->commit_pos = lsn;
    out->commit_time = (int64_t) ts;
    out->xid = xid;
    d->xid = xid;
    return 0;
}

/* The flags byte is documented as unused; it is ignored so a future flag does not stop a stream. */
static int GW_MUST_CHECK
decode_commit(PgOutputDecoder *d, Reader *r, Change *out)
{
    uint8_t flags;
    uint64_t lsn, end, ts;
    if (rd_u8(r, "flags", &flags) || rd_u64(r, "commit LSN", &lsn) || rd_u64(r, "end LSN", &end) ||
        rd_u64(r, "commit timestamp", &ts) || rd_end(r))
        return -1;
    out->kind = CHANGE_COMMIT;
    out->commit_pos = lsn;
    out->end_pos = end;
    out->commit_time = (int64_t) ts;
    out->xid = d->xid;
    d->xid = 0;
    return 0;
}

static int GW_MUST_CHECK
decode_origin(Reader *r, Change *out)
{
    uint64_t lsn;
    const char *name;
    if (rd_u64(r, "origin LSN", &lsn) || rd_str(r, "origin name", &name) || rd_end(r))
        return -1;
    out->kind = CHANGE_ORIGIN;
    out->origin_pos = lsn;
    out->origin = name;
    return 0;
}

/*
 * A Relation message is parsed whole into a new RelationInfo before it
 * touches the cache: a malformed one leaves the earlier shape in place, and
 * a valid one frees the earlier shape (pointers to it die here, as the
 * header says).
 */
static int GW_MUST_CHECK
decode_relation(PgOutputDecoder *d, Reader *r, Change *out)
{
    uint32_t relid;
    const char *nsp, *name;
    if (rd_u32(r, "relation id", &relid) || rd_str(r, "namespace", &nsp) || rd_str(r, "relation name", &name))
        return -1;

    RelationInfo *rel = gw_calloc(1, sizeof *rel);
    rel->id = relid;
    rel->schema = gw_strdup(*nsp ? nsp : "pg_catalog");
    rel->name = gw_strdup(name);
    r->rel = rel;

    uint8_t ident;
    uint16_t ncols;
    char b[16];
    if (rd_u8(r, "replica identity", &ident))
        goto fail;
    if (!pgoutput_replica_identity((char) ident, &rel->replica_identity)) {
        rd_fail(r, "unknown replica identity %s at byte %zu of %zu", byte_repr(ident, b, sizeof b), r->pos - 1,
                r->len);
        goto fail;
    }
    if (rd_u16(r, "column count", &ncols))
        goto fail;
    if ((int16_t) ncols < 0 || ncols > PGOUTPUT_MAX_COLS) {
        rd_fail(r, "column count %d out of range 0..%d at byte %zu of %zu", (int16_t) ncols, PGOUTPUT_MAX_COLS,
                r->pos - 2, r->len);
        goto fail;
    }
    if (rd_need(r, (size_t) ncols * PGOUTPUT_MIN_COL_BYTES, "column list"))
        goto fail;
    rel->cols = gw_calloc(ncols, sizeof *rel->cols);
    for (uint16_t i = 0; i < ncols; i++) {
        uint8_t flags;
        const char *colname;
        uint32_t type_id, typmod;
        if (rd_u8(r, "column flags", &flags) || rd_str(r, "column name", &colname) ||
            rd_u32(r, "column type", &type_id) || rd_u32(r, "column typmod", &typmod))
            goto fail;
        RelationColumn *c = &rel->cols[i];
        c->name = gw_strdup(colname);
        c->type_id = type_id;
        c->typmod = (int32_t) typmod;
        c->key = (flags & 1) != 0;
        rel->ncols = (uint16_t) (i + 1);   /* so that rel_free() frees exactly the names set */
    }
    if (rd_end(r))
        goto fail;

    r->rel = NULL;
    rel_store(d, rel);
    out->kind = CHANGE_RELATION;
    out->rel = rel;
    return 0;

fail:
    r->rel = NULL;
    rel_free(rel);
    return -1;
}

/* Type messages only name a type; nothing downstream needs them yet, so they are validated and reported. */
static int GW_MUST_CHECK
decode_type(Reader *r, Change *out)
{
    uint32_t oid;
    const char *nsp, *name;
    if (rd_u32(r, "type id", &oid) || rd_str(r, "namespace", &nsp) || rd_str(r, "type name", &name) || rd_end(r))
        return -1;
    out->kind = CHANGE_TYPE;
    return 0;
}

static void
tuple_fail(Reader *r, const char *label, uint16_t col, const char *what)
{
    rd_fail(r, "%s %s at byte %zu of %zu (column %u \"%s\")", label, what, r->pos, r->len, (unsigned) col + 1,
            r->rel->cols[col].name);
}

/*
 * TupleData into *t, with values in the given scratch array.  pgoutput sends
 * every live column of the relation, also for key-only old tuples (the
 * others as 'n'), so a count that differs from the Relation message means
 * the cache is out of step with the server.
 */
static int GW_MUST_CHECK
read_tuple(Reader *r, const char *label, ChangeTuple *t, ChangeValue **vals, size_t *cap)
{
    uint16_t n;
    if (rd_u16(r, label, &n))
        return -1;
    if (n != r->rel->ncols) {
        rd_fail(r, "%s has %u columns but the relation has %u, at byte %zu of %zu", label, (unsigned) n,
                (unsigned) r->rel->ncols, r->pos - 2, r->len);
        return -1;
    }
    void *grown = *vals;   /* through a void *, not a cast of vals: no type-punned store */
    gw_grow(&grown, cap, n, sizeof **vals);
    ChangeValue *v = *vals = grown;
    for (uint16_t i = 0; i < n; i++) {
        if (r->pos == r->len) {
            tuple_fail(r, label, i, "truncated");
            return -1;
        }
        uint8_t kind = r->buf[r->pos];
        switch (kind) {
        case 'n':
        case 'u':
            v[i] = (ChangeValue) { .kind = kind == 'n' ? VALUE_NULL : VALUE_UNCHANGED };
            r->pos++;
            break;
        case 't':
        case 'b': {
            if (r->len - r->pos < 5) {
                tuple_fail(r, label, i, "truncated");
                return -1;
            }
            const unsigned char *p = r->buf + r->pos + 1;
            uint32_t vlen = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
            if ((int32_t) vlen < 0) {
                rd_fail(r, "%s has negative value length %" PRId32 " at byte %zu of %zu (column %u \"%s\")",
                        label, (int32_t) vlen, r->pos + 1, r->len, (unsigned) i + 1, r->rel->cols[i].name);
                return -1;
            }
            if (r->len - r->pos - 5 < vlen) {
                tuple_fail(r, label, i, "truncated");
                return -1;
            }
            v[i] = (ChangeValue) {
                .kind = kind == 't' ? VALUE_TEXT : VALUE_BINARY,
                .data = (const char *) p + 4,
                .len = vlen,
            };
            r->pos += 5 + (size_t) vlen;
            break;
        }
        default: {
            char b[16];
            rd_fail(r, "%s has unknown value kind %s at byte %zu of %zu (column %u \"%s\")", label,
                    byte_repr(kind, b, sizeof b), r->pos, r->len, (unsigned) i + 1, r->rel->cols[i].name);
            return -1;
        }
        }
    }
    t->ncols = n;
    t->values = v;
    return 0;
}

static int GW_MUST_CHECK
expect_tag(Reader *r, uint8_t tag, const char *expected)
{
    char b[16];
    rd_fail(r, "expected %s, got %s at byte %zu of %zu", expected, byte_repr(tag, b, sizeof b), r->pos - 1, r->len);
    return -1;
}

/* Insert, Update and Delete: relation id, then tagged tuples. */
static int GW_MUST_CHECK
decode_dml(PgOutputDecoder *d, Reader *r, Change *out, ChangeKind kind)
{
    uint32_t relid;
    if (rd_u32(r, "relation id", &relid))
        return -1;
    const RelationInfo *rel = pgoutput_relation(d, relid);
    if (!rel) {
        rd_fail(r, "unknown relation id %" PRIu32 " (no Relation message for it)", relid);
        return -1;
    }
    r->rel = rel;
    out->kind = kind;
    out->rel = rel;

    uint8_t tag;
    if (rd_u8(r, "tuple tag", &tag))
        return -1;
    if (kind != CHANGE_INSERT) {
        if (tag == 'K' || tag == 'O') {
            out->old_kind = tag == 'K' ? CHANGE_OLD_KEY : CHANGE_OLD_ROW;
            if (read_tuple(r, "old tuple", &out->old_tuple, &d->old_vals, &d->old_cap))
                return -1;
            if (kind == CHANGE_DELETE)
                return rd_end(r);
            if (rd_u8(r, "tuple tag", &tag))
                return -1;
        } else if (kind == CHANGE_DELETE) {
            return expect_tag(r, tag, "'K' or 'O'");
        } else if (tag != 'N') {
            return expect_tag(r, tag, "'K', 'O' or 'N'");
        }
    }
    if (tag != 'N')
        return expect_tag(r, tag, "'N'");
    if (read_tuple(r, "new tuple", &out->new_tuple, &d->new_vals, &d->new_cap))
        return -1;
    return rd_end(r);
}

static int GW_MUST_CHECK
decode_truncate(PgOutputDecoder *d, Reader *r, Change *out)
{
    uint32_t n;
    uint8_t opts;
    if (rd_u32(r, "relation count", &n))
        return -1;
    if ((int32_t) n < 0) {
        rd_fail(r, "negative relation count %" PRId32 " at byte %zu of %zu", (int32_t) n, r->pos - 4, r->len);
        return -1;
    }
    if (rd_u8(r, "options", &opts))
        return -1;
    /* Checked before allocating: the count must fit the bytes that follow. */
    if ((r->len - r->pos) / 4 < n) {
        rd_fail(r, "relation ids truncated at byte %zu of %zu (%" PRIu32 " announced)", r->pos, r->len, n);
        return -1;
    }
    void *grown = d->trunc_rels;
    gw_grow(&grown, &d->trunc_cap, n, sizeof *d->trunc_rels);
    d->trunc_rels = grown;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t relid;
        if (rd_u32(r, "relation id", &relid))
            return -1;
        d->trunc_rels[i] = pgoutput_relation(d, relid);
        if (!d->trunc_rels[i]) {
            rd_fail(r, "unknown relation id %" PRIu32 " at byte %zu of %zu (no Relation message for it)", relid,
                    r->pos - 4, r->len);
            return -1;
        }
    }
    if (rd_end(r))
        return -1;
    out->kind = CHANGE_TRUNCATE;
    out->nrels = n;
    out->rels = d->trunc_rels;
    out->cascade = (opts & 1) != 0;
    out->restart_identity = (opts & 2) != 0;
    return 0;
}

static int GW_MUST_CHECK
decode_message(Reader *r, Change *out)
{
    uint8_t flags;
    uint64_t lsn;
    const char *prefix;
    uint32_t clen;
    if (rd_u8(r, "flags", &flags) || rd_u64(r, "LSN", &lsn) || rd_str(r, "prefix", &prefix) ||
        rd_u32(r, "content length", &clen))
        return -1;
    if ((int32_t) clen < 0) {
        rd_fail(r, "negative content length %" PRId32 " at byte %zu of %zu", (int32_t) clen, r->pos - 4, r->len);
        return -1;
    }
    if (rd_need(r, clen, "content"))
        return -1;
    out->content = (const char *) r->buf + r->pos;
    r->pos += clen;
    if (rd_end(r))
        return -1;
    out->kind = CHANGE_MESSAGE;
    out->transactional = (flags & 1) != 0;
    out->commit_pos = lsn;
    out->prefix = prefix;
    out->content_len = clen;
    return 0;
}

int
pgoutput_decode(PgOutputDecoder *d, const char *buf, size_t len, Change *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    Reader r = {
        .buf = (const unsigned char *) buf,
        .len = len,
        .pos = 1,
        .source = "pgoutput",
        .msg = "message",
        .err = err,
        .errlen = errlen,
    };
    if (len == 0) {
        r.pos = 0;
        rd_fail(&r, "empty");
        return -1;
    }
    int rc;
    switch (buf[0]) {
    case 'B':
        r.msg = "Begin";
        rc = decode_begin(d, &r, out);
        break;
    case 'C':
        r.msg = "Commit";
        rc = decode_commit(d, &r, out);
        break;
    case 'O':
        r.msg = "Origin";
        rc = decode_origin(&r, out);
        break;
    case 'R':
        r.msg = "Relation";
        rc = decode_relation(d, &r, out);
        break;
    case 'Y':
        r.msg = "Type";
        rc = decode_type(&r, out);
        break;
    case 'I':
        r.msg = "Insert";
        rc = decode_dml(d, &r, out, CHANGE_INSERT);
        break;
    case 'U':
        r.msg = "Update";
        rc = decode_dml(d, &r, out, CHANGE_UPDATE);
        break;
    case 'D':
        r.msg = "Delete";
        rc = decode_dml(d, &r, out, CHANGE_DELETE);
        break;
    case 'T':
        r.msg = "Truncate";
        rc = decode_truncate(d, &r, out);
        break;
    case 'M':
        r.msg = "Message";
        rc = decode_message(&r, out);
        break;
    default: {
        char b[16];
        rd_fail(&r, "unknown message type %s (protocol version 1 expected)",
                byte_repr((uint8_t) buf[0], b, sizeof b));
        rc = -1;
        break;
    }
    }
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- walsender envelope ---- */

int
pgoutput_parse_envelope(const char *buf, size_t len, WalMessage *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    Reader r = {
        .buf = (const unsigned char *) buf,
        .len = len,
        .pos = 1,
        .source = "walsender",
        .msg = "message",
        .err = err,
        .errlen = errlen,
    };
    if (len == 0) {
        r.pos = 0;
        rd_fail(&r, "empty");
        return -1;
    }
    uint64_t a, b, t;
    switch (buf[0]) {
    case 'w':
        r.msg = "XLogData";
        if (rd_u64(&r, "data start", &a) || rd_u64(&r, "WAL end", &b) || rd_u64(&r, "send time", &t))
            return -1;
        out->kind = WAL_MSG_XLOGDATA;
        out->data_start = a;
        out->wal_end = b;
        out->send_time = (int64_t) t;
        out->payload = buf + r.pos;
        out->payload_len = len - r.pos;
        return 0;
    case 'k': {
        uint8_t reply;
        r.msg = "keepalive";
        if (rd_u64(&r, "WAL end", &b) || rd_u64(&r, "send time", &t) || rd_u8(&r, "reply flag", &reply) ||
            rd_end(&r))
            return -1;
        out->kind = WAL_MSG_KEEPALIVE;
        out->wal_end = b;
        out->send_time = (int64_t) t;
        out->reply_requested = reply != 0;
        return 0;
    }
    default: {
        char c[16];
        rd_fail(&r, "unknown CopyData message type %s", byte_repr((uint8_t) buf[0], c, sizeof c));
        return -1;
    }
    }
}

static void
put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char) (v & 0xff);
        v >>= 8;
    }
}

size_t
pgoutput_status_update(char *buf, StreamPos write, StreamPos flush, StreamPos apply, int64_t now,
                       bool reply_requested)
{
    unsigned char *p = (unsigned char *) buf;
    p[0] = 'r';
    put_u64(p + 1, write);
    put_u64(p + 9, flush);
    put_u64(p + 17, apply);
    put_u64(p + 25, (uint64_t) now);
    p[33] = reply_requested ? 1 : 0;
    return 34;
}

/* ---- LSN text ---- */

/* 1 to 8 hex digits ending at stop; returns the count, or 0 if malformed. */
static size_t
lsn_half(const char *s, char stop, uint32_t *out)
{
    uint32_t v = 0;
    size_t n = 0;
    for (; hex_digit_value(s[n]) >= 0; n++) {
        if (n == 8)
            return 0;
        v = v << 4 | (uint32_t) hex_digit_value(s[n]);
    }
    if (n == 0 || s[n] != stop)
        return 0;
    *out = v;
    return n;
}

/* The rules of PostgreSQL's pg_lsn_in: 1-8 hex digits, '/', 1-8 hex digits, nothing else. */
int
pg_lsn_parse(const char *text, StreamPos *out)
{
    uint32_t hi, lo;
    if (!text)
        return -1;
    size_t n = lsn_half(text, '/', &hi);
    if (n == 0 || lsn_half(text + n + 1, '\0', &lo) == 0)
        return -1;
    *out = (StreamPos) hi << 32 | lo;
    return 0;
}

void
pg_lsn_format(StreamPos pos, char *buf, size_t len)
{
    if (len == 0)
        return;
    snprintf(buf, len, "%" PRIX32 "/%" PRIX32, (uint32_t) (pos >> 32), (uint32_t) pos);
}
