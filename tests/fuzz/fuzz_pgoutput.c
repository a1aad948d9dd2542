/*
 * fuzz_pgoutput.c: libFuzzer target for the walsender envelope and the
 * pgoutput decoder (engine/pg/pg_pgoutput.c), which read bytes from the
 * network.
 *
 * Input: a sequence of records, each a 2-byte big-endian length and that many
 * bytes (a last record may be short: it is cut at the end of the input).
 * Each record goes through pgoutput_parse_envelope() and, as a pgoutput
 * message, through pgoutput_decode() of one decoder, so that Relation
 * messages fill the relation cache the later Insert/Update/Delete/Truncate
 * messages read.  The payload of an XLogData envelope is decoded too.
 * Everything a decoded change points to is read back (fuzz_touch).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pg/pg_pgoutput.h"
#include "fuzz_common.h"

static void
touch_relation(const RelationInfo *rel)
{
    if (rel == NULL)
        return;
    fuzz_touch_str(rel->schema);
    fuzz_touch_str(rel->name);
    for (uint16_t i = 0; i < rel->ncols; i++)
        fuzz_touch_str(rel->cols[i].name);
}

static void
touch_tuple(const ChangeTuple *t)
{
    for (uint16_t i = 0; i < t->ncols; i++)
        if (t->values[i].kind == VALUE_TEXT || t->values[i].kind == VALUE_BINARY)
            fuzz_touch(t->values[i].data, t->values[i].len);
}

static void
touch_change(const Change *c)
{
    touch_relation(c->rel);
    touch_tuple(&c->old_tuple);
    touch_tuple(&c->new_tuple);
    for (uint32_t i = 0; i < c->nrels; i++)
        touch_relation(c->rels[i]);
    fuzz_touch_str(c->origin);
    fuzz_touch_str(c->prefix);
    if (c->content != NULL)
        fuzz_touch(c->content, c->content_len);
}

static void
decode_one(PgOutputDecoder *d, const char *msg, size_t len)
{
    Change c;
    char err[256];
    if (pgoutput_decode(d, msg, len, &c, err, sizeof err) == 0)
        touch_change(&c);
    else
        fuzz_touch_str(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    PgOutputDecoder *d = pgoutput_new();
    size_t pos = 0;
    while (pos + 2 <= size) {
        size_t len = (size_t) data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        /* A copy of exactly len bytes, so that a read past the record is caught. */
        char *msg = malloc(len ? len : 1);
        memcpy(msg, data + pos, len);
        pos += len;
        WalMessage w;
        char err[256];
        if (pgoutput_parse_envelope(msg, len, &w, err, sizeof err) == 0 && w.kind == WAL_MSG_XLOGDATA)
            decode_one(d, w.payload, w.payload_len);
        decode_one(d, msg, len);
        free(msg);
    }
    pgoutput_free(d);
    return 0;
}
