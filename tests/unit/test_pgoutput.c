/*
 * test_pgoutput.c: the pgoutput decoder, the walsender envelope, standby
 * status updates and LSN text.  Messages are built byte by byte with a small
 * writer, as the walsender would send them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/pg/pg_pgoutput.h"

/* ---- test-only byte writer ---- */

typedef struct Msg {
    char data[8192];
    size_t len;
} Msg;

static void
put_bytes(Msg *m, const void *p, size_t n)
{
    assert_true(m->len + n <= sizeof m->data);
    memcpy(m->data + m->len, p, n);
    m->len += n;
}

static void
put_u8(Msg *m, uint8_t v)
{
    put_bytes(m, &v, 1);
}

static void
put_u16(Msg *m, uint16_t v)
{
    unsigned char b[2] = { (unsigned char) (v >> 8), (unsigned char) v };
    put_bytes(m, b, 2);
}

static void
put_u32(Msg *m, uint32_t v)
{
    unsigned char b[4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16), (unsigned char) (v >> 8),
                           (unsigned char) v };
    put_bytes(m, b, 4);
}

static void
put_u64(Msg *m, uint64_t v)
{
    put_u32(m, (uint32_t) (v >> 32));
    put_u32(m, (uint32_t) v);
}

static void
put_str(Msg *m, const char *s)
{
    put_bytes(m, s, strlen(s) + 1);
}

static void
put_text(Msg *m, const char *s)
{
    put_u8(m, 't');
    put_u32(m, (uint32_t) strlen(s));
    put_bytes(m, s, strlen(s));
}

static Msg
msg_begin(uint64_t lsn, int64_t ts, uint32_t xid)
{
    Msg m = { .len = 0 };
    put_u8(&m, 'B');
    put_u64(&m, lsn);
    put_u64(&m, (uint64_t) ts);
    put_u32(&m, xid);
    return m;
}

static Msg
msg_commit(uint64_t lsn, uint64_t end, int64_t ts)
{
    Msg m = { .len = 0 };
    put_u8(&m, 'C');
    put_u8(&m, 0);
    put_u64(&m, lsn);
    put_u64(&m, end);
    put_u64(&m, (uint64_t) ts);
    return m;
}

/* Relation relid nsp.name with ncols columns named from names, key flags from keymask. */
static Msg
msg_relation(uint32_t relid, const char *nsp, const char *name, char ident, uint16_t ncols,
             const char *const *names, unsigned keymask)
{
    Msg m = { .len = 0 };
    put_u8(&m, 'R');
    put_u32(&m, relid);
    put_str(&m, nsp);
    put_str(&m, name);
    put_u8(&m, (uint8_t) ident);
    put_u16(&m, ncols);
    for (uint16_t i = 0; i < ncols; i++) {
        put_u8(&m, (keymask >> i) & 1);
        put_str(&m, names[i]);
        put_u32(&m, 23 + i);
        put_u32(&m, (uint32_t) -1);
    }
    return m;
}

static const char *const cols_ab[] = { "a", "b" };
static const char *const cols_abc[] = { "a", "b", "c" };

/* An Update of public.t (a, b) with a 'K' old key and a new row: the message the truncation test cuts. */
static Msg
msg_update_k(uint32_t relid)
{
    Msg m = { .len = 0 };
    put_u8(&m, 'U');
    put_u32(&m, relid);
    put_u8(&m, 'K');
    put_u16(&m, 2);
    put_text(&m, "1");
    put_u8(&m, 'n');
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_text(&m, "2");
    put_text(&m, "hello");
    return m;
}

typedef struct Fixture {
    PgOutputDecoder *d;
    Change c;
    char err[256];
} Fixture;

static int
setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    f->d = pgoutput_new();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    pgoutput_free(f->d);
    free(f);
    return 0;
}

static int
decode(Fixture *f, const Msg *m)
{
    f->err[0] = '\0';
    return pgoutput_decode(f->d, m->data, m->len, &f->c, f->err, sizeof f->err);
}

static void
decode_ok(Fixture *f, const Msg *m)
{
    int rc = decode(f, m);
    if (rc != 0)
        fail_msg("decode failed: %s", f->err);
}

/* Decoding must fail and the error must contain want. */
static void
decode_err(Fixture *f, const Msg *m, const char *want)
{
    assert_int_equal(decode(f, m), -1);
    if (!strstr(f->err, want))
        fail_msg("error \"%s\" lacks \"%s\"", f->err, want);
    assert_null(strchr(f->err, '\n'));
}

static void
add_table_t(Fixture *f)
{
    Msg m = msg_relation(16384, "public", "t", 'd', 2, cols_ab, 1);
    decode_ok(f, &m);
}

static void
assert_value(const ChangeValue *v, ValueKind kind, const char *text)
{
    assert_int_equal(v->kind, kind);
    if (text) {
        assert_int_equal(v->len, strlen(text));
        assert_memory_equal(v->data, text, v->len);
    } else {
        assert_int_equal(v->len, 0);
    }
}

/* ---- messages ---- */

static void
test_begin_commit(void **state)
{
    Fixture *f = *state;
    Msg m = msg_begin(0x16B374D848, 700000000123456, 4242);
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_BEGIN);
    assert_int_equal(f->c.commit_pos, 0x16B374D848);
    assert_int_equal(f->c.commit_time, 700000000123456);
    assert_int_equal(f->c.xid, 4242);

    m = msg_commit(0x16B374D848, 0x16B374D878, 700000000123456);
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_COMMIT);
    assert_int_equal(f->c.commit_pos, 0x16B374D848);
    assert_int_equal(f->c.end_pos, 0x16B374D878);
    assert_int_equal(f->c.commit_time, 700000000123456);
    assert_int_equal(f->c.xid, 4242);

    /* A Commit without a Begin before it reports xid 0. */
    decode_ok(f, &m);
    assert_int_equal(f->c.xid, 0);

    /* Negative timestamps (before 2000) round-trip. */
    m = msg_begin(1, -5, 7);
    decode_ok(f, &m);
    assert_int_equal(f->c.commit_time, -5);
}

static void
test_origin(void **state)
{
    Fixture *f = *state;
    Msg m = { .len = 0 };
    put_u8(&m, 'O');
    put_u64(&m, 0xABCDEF0123);
    put_str(&m, "godwit_failback");
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_ORIGIN);
    assert_int_equal(f->c.origin_pos, 0xABCDEF0123);
    assert_string_equal(f->c.origin, "godwit_failback");
}

static void
test_relation(void **state)
{
    Fixture *f = *state;
    const char *const names[] = { "id", "region", "note" };
    Msg m = msg_relation(16390, "sales", "orders", 'f', 3, names, 0x3);
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_RELATION);
    const RelationInfo *rel = f->c.rel;
    assert_non_null(rel);
    assert_ptr_equal(rel, pgoutput_relation(f->d, 16390));
    assert_int_equal(rel->id, 16390);
    assert_string_equal(rel->schema, "sales");
    assert_string_equal(rel->name, "orders");
    assert_int_equal(rel->replica_identity, REPLICA_IDENTITY_FULL);
    assert_int_equal(rel->ncols, 3);
    assert_string_equal(rel->cols[0].name, "id");
    assert_true(rel->cols[0].key);
    assert_true(rel->cols[1].key);
    assert_false(rel->cols[2].key);
    assert_string_equal(rel->cols[2].name, "note");
    assert_int_equal(rel->cols[0].type_id, 23);
    assert_int_equal(rel->cols[2].type_id, 25);
    assert_int_equal(rel->cols[1].typmod, -1);
    assert_null(pgoutput_relation(f->d, 16391));

    /* An empty namespace is pg_catalog. */
    m = msg_relation(1259, "", "pg_class", 'n', 0, NULL, 0);
    decode_ok(f, &m);
    assert_string_equal(f->c.rel->schema, "pg_catalog");
    assert_string_equal(f->c.rel->name, "pg_class");
    assert_int_equal(f->c.rel->ncols, 0);
}

/*
 * A second Relation message for the same id replaces the cached shape.  The
 * first RelationInfo pointer is freed then (valid only until the next
 * Relation message for its id), so this test never touches it again: under
 * ASan any use would be reported.
 */
static void
test_relation_replaced(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    assert_int_equal(pgoutput_relation(f->d, 16384)->ncols, 2);

    Msg m = msg_relation(16384, "public", "t2", 'i', 3, cols_abc, 0x4);
    decode_ok(f, &m);
    const RelationInfo *rel = pgoutput_relation(f->d, 16384);
    assert_ptr_equal(rel, f->c.rel);
    assert_int_equal(rel->ncols, 3);
    assert_string_equal(rel->name, "t2");
    assert_string_equal(rel->cols[2].name, "c");
    assert_true(rel->cols[2].key);
    assert_false(rel->cols[0].key);
    assert_int_equal(rel->replica_identity, REPLICA_IDENTITY_INDEX);

    /* An Insert of the old shape is now refused; the new shape is accepted. */
    Msg ins = { .len = 0 };
    put_u8(&ins, 'I');
    put_u32(&ins, 16384);
    put_u8(&ins, 'N');
    put_u16(&ins, 2);
    put_text(&ins, "1");
    put_text(&ins, "2");
    decode_err(f, &ins, "pgoutput Insert for relation public.t2: new tuple has 2 columns but the relation has 3");

    ins.len = 0;
    put_u8(&ins, 'I');
    put_u32(&ins, 16384);
    put_u8(&ins, 'N');
    put_u16(&ins, 3);
    put_text(&ins, "1");
    put_text(&ins, "2");
    put_text(&ins, "3");
    decode_ok(f, &ins);
    assert_ptr_equal(f->c.rel, rel);
    assert_int_equal(f->c.new_tuple.ncols, 3);
    assert_value(&f->c.new_tuple.values[2], VALUE_TEXT, "3");
}

/* A malformed Relation message leaves the cached shape as it was. */
static void
test_relation_bad_keeps_old(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    const RelationInfo *before = pgoutput_relation(f->d, 16384);
    Msg m = msg_relation(16384, "public", "t", 'd', 3, cols_abc, 1);
    m.len -= 3;   /* cut inside the last column's typmod */
    decode_err(f, &m, "pgoutput Relation for relation public.t: column typmod truncated at byte");
    assert_ptr_equal(pgoutput_relation(f->d, 16384), before);
    assert_int_equal(before->ncols, 2);
}

static void
test_many_relations(void **state)
{
    Fixture *f = *state;
    char name[32];
    for (uint32_t id = 1; id <= 500; id++) {
        snprintf(name, sizeof name, "t%u", id);
        Msg m = msg_relation(id * 7919, "s", name, 'd', 2, cols_ab, 1);
        decode_ok(f, &m);
    }
    for (uint32_t id = 1; id <= 500; id++) {
        const RelationInfo *rel = pgoutput_relation(f->d, id * 7919);
        assert_non_null(rel);
        snprintf(name, sizeof name, "t%u", id);
        assert_string_equal(rel->name, name);
    }
    assert_null(pgoutput_relation(f->d, 3));
}

static void
test_type(void **state)
{
    Fixture *f = *state;
    Msg m = { .len = 0 };
    put_u8(&m, 'Y');
    put_u32(&m, 90001);
    put_str(&m, "public");
    put_str(&m, "mood");
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_TYPE);
    m.len--;
    decode_err(f, &m, "pgoutput Type: type name truncated at byte 12 of 16 (no terminating NUL)");
}

static void
test_insert_values(void **state)
{
    Fixture *f = *state;
    const char *const names[] = { "a", "b", "c", "d", "e" };
    Msg rel = msg_relation(7, "public", "v", 'd', 5, names, 1);
    decode_ok(f, &rel);

    Msg m = { .len = 0 };
    put_u8(&m, 'I');
    put_u32(&m, 7);
    put_u8(&m, 'N');
    put_u16(&m, 5);
    put_text(&m, "42");
    put_u8(&m, 'n');
    put_u8(&m, 'u');
    put_u8(&m, 'b');
    put_u32(&m, 3);
    put_bytes(&m, "\x00\x01\xff", 3);
    put_text(&m, "");
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_INSERT);
    assert_int_equal(f->c.rel->id, 7);
    assert_false(change_has_old(&f->c));
    assert_int_equal(f->c.old_tuple.ncols, 0);
    const ChangeTuple *t = &f->c.new_tuple;
    assert_int_equal(t->ncols, 5);
    assert_value(&t->values[0], VALUE_TEXT, "42");
    /* Values point into the message. */
    assert_ptr_equal(t->values[0].data, m.data + 13);
    assert_value(&t->values[1], VALUE_NULL, NULL);
    assert_value(&t->values[2], VALUE_UNCHANGED, NULL);
    assert_int_equal(t->values[3].kind, VALUE_BINARY);
    assert_int_equal(t->values[3].len, 3);
    assert_memory_equal(t->values[3].data, "\x00\x01\xff", 3);
    assert_value(&t->values[4], VALUE_TEXT, "");
}

static void
test_update_forms(void **state)
{
    Fixture *f = *state;
    add_table_t(f);

    /* No old tuple (replica identity default, key unchanged). */
    Msg m = { .len = 0 };
    put_u8(&m, 'U');
    put_u32(&m, 16384);
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_text(&m, "1");
    put_u8(&m, 'u');
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_UPDATE);
    assert_false(change_has_old(&f->c));
    assert_int_equal(f->c.old_tuple.ncols, 0);
    assert_null(f->c.old_tuple.values);
    assert_value(&f->c.new_tuple.values[0], VALUE_TEXT, "1");
    assert_value(&f->c.new_tuple.values[1], VALUE_UNCHANGED, NULL);

    /* 'K': the key changed. */
    m = msg_update_k(16384);
    decode_ok(f, &m);
    assert_true(change_has_old(&f->c));
    assert_int_equal(f->c.old_kind, CHANGE_OLD_KEY);
    assert_int_equal(f->c.old_tuple.ncols, 2);
    assert_value(&f->c.old_tuple.values[0], VALUE_TEXT, "1");
    assert_value(&f->c.old_tuple.values[1], VALUE_NULL, NULL);
    assert_value(&f->c.new_tuple.values[0], VALUE_TEXT, "2");
    assert_value(&f->c.new_tuple.values[1], VALUE_TEXT, "hello");
    /* Old and new tuples use separate scratch. */
    assert_ptr_not_equal(f->c.old_tuple.values, f->c.new_tuple.values);

    /* 'O': the whole old row (replica identity full). */
    m.len = 0;
    put_u8(&m, 'U');
    put_u32(&m, 16384);
    put_u8(&m, 'O');
    put_u16(&m, 2);
    put_text(&m, "1");
    put_text(&m, "old");
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_text(&m, "1");
    put_text(&m, "new");
    decode_ok(f, &m);
    assert_true(change_has_old(&f->c));
    assert_int_equal(f->c.old_kind, CHANGE_OLD_ROW);
    assert_value(&f->c.old_tuple.values[1], VALUE_TEXT, "old");
    assert_value(&f->c.new_tuple.values[1], VALUE_TEXT, "new");

    /* A tag other than K, O, N. */
    m.data[5] = 'X';
    decode_err(f, &m, "pgoutput Update for relation public.t: expected 'K', 'O' or 'N', got 'X' (0x58) at byte 5 of");
    /* Old tuple, then no 'N'. */
    m.data[5] = 'O';
    m.data[22] = 'K';
    decode_err(f, &m, "expected 'N', got 'K' (0x4b) at byte 22 of");
}

static void
test_delete_forms(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg m = { .len = 0 };
    put_u8(&m, 'D');
    put_u32(&m, 16384);
    put_u8(&m, 'K');
    put_u16(&m, 2);
    put_text(&m, "9");
    put_u8(&m, 'n');
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_DELETE);
    assert_true(change_has_old(&f->c));
    assert_int_equal(f->c.old_kind, CHANGE_OLD_KEY);
    assert_value(&f->c.old_tuple.values[0], VALUE_TEXT, "9");
    assert_int_equal(f->c.new_tuple.ncols, 0);

    m.data[5] = 'O';
    decode_ok(f, &m);
    assert_int_equal(f->c.old_kind, CHANGE_OLD_ROW);

    m.data[5] = 'N';
    decode_err(f, &m, "pgoutput Delete for relation public.t: expected 'K' or 'O', got 'N' (0x4e) at byte 5 of 15");
}

static void
test_truncate(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg rel = msg_relation(16400, "public", "u", 'd', 2, cols_ab, 1);
    decode_ok(f, &rel);

    for (uint8_t opts = 0; opts < 4; opts++) {
        Msg m = { .len = 0 };
        put_u8(&m, 'T');
        put_u32(&m, 2);
        put_u8(&m, opts);
        put_u32(&m, 16400);
        put_u32(&m, 16384);
        decode_ok(f, &m);
        assert_int_equal(f->c.kind, CHANGE_TRUNCATE);
        assert_int_equal(f->c.nrels, 2);
        assert_string_equal(f->c.rels[0]->name, "u");
        assert_string_equal(f->c.rels[1]->name, "t");
        assert_int_equal(f->c.cascade, (opts & 1) != 0);
        assert_int_equal(f->c.restart_identity, (opts & 2) != 0);
    }

    Msg m = { .len = 0 };
    put_u8(&m, 'T');
    put_u32(&m, 2);
    put_u8(&m, 0);
    put_u32(&m, 16384);
    put_u32(&m, 99);
    decode_err(f, &m, "pgoutput Truncate: unknown relation id 99 at byte 10 of 14");
}

static void
test_message(void **state)
{
    Fixture *f = *state;
    Msg m = { .len = 0 };
    put_u8(&m, 'M');
    put_u8(&m, 1);
    put_u64(&m, 0x1234);
    put_str(&m, "godwit");
    put_u32(&m, 4);
    put_bytes(&m, "a\0b\n", 4);
    decode_ok(f, &m);
    assert_int_equal(f->c.kind, CHANGE_MESSAGE);
    assert_true(f->c.transactional);
    assert_int_equal(f->c.commit_pos, 0x1234);
    assert_string_equal(f->c.prefix, "godwit");
    assert_int_equal(f->c.content_len, 4);
    assert_memory_equal(f->c.content, "a\0b\n", 4);

    m.data[1] = 0;
    decode_ok(f, &m);
    assert_false(f->c.transactional);

    /* Empty content. */
    m.len = 0;
    put_u8(&m, 'M');
    put_u8(&m, 0);
    put_u64(&m, 1);
    put_str(&m, "");
    put_u32(&m, 0);
    decode_ok(f, &m);
    assert_int_equal(f->c.content_len, 0);
    assert_string_equal(f->c.prefix, "");
}

/* Steady state reuses the scratch arrays: the same pointers on every message of the same width. */
static void
test_scratch_reused(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg m = msg_update_k(16384);
    decode_ok(f, &m);
    const ChangeValue *oldv = f->c.old_tuple.values, *newv = f->c.new_tuple.values;
    for (int i = 0; i < 100; i++) {
        decode_ok(f, &m);
        assert_ptr_equal(f->c.old_tuple.values, oldv);
        assert_ptr_equal(f->c.new_tuple.values, newv);
    }
    /* A Truncate's list is scratch too. */
    Msg t = { .len = 0 };
    put_u8(&t, 'T');
    put_u32(&t, 1);
    put_u8(&t, 0);
    put_u32(&t, 16384);
    decode_ok(f, &t);
    const RelationInfo **rels = f->c.rels;
    decode_ok(f, &t);
    assert_ptr_equal(f->c.rels, rels);
}

/* ---- malformed input ---- */

/* Every proper prefix of a valid Update is refused with a one-line error; the whole message decodes. */
static void
test_update_every_truncation(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg full = msg_update_k(16384);
    for (size_t n = 0; n < full.len; n++) {
        Msg m = full;
        m.len = n;
        assert_int_equal(decode(f, &m), -1);
        assert_true(strlen(f->err) > 0);
        assert_null(strchr(f->err, '\n'));
        assert_true(strncmp(f->err, "pgoutput ", 9) == 0);
        if (n > 5)
            assert_non_null(strstr(f->err, "Update for relation public.t: "));
        if (n > 0) {
            char want[32];
            snprintf(want, sizeof want, " of %zu", n);
            assert_non_null(strstr(f->err, want));
        }
        /* A failed decode leaves no stale change behind. */
        assert_null(f->c.rel);
    }
    decode_ok(f, &full);

    /* The whole line, as a log would show it. */
    Msg m = full;
    m.len = 30;
    assert_int_equal(decode(f, &m), -1);
    assert_string_equal(f->err, "pgoutput Update for relation public.t: new tuple truncated at byte 24 of 30 "
                                "(column 2 \"b\")");
}

/* Every proper prefix of every other message kind is refused too. */
static void
test_every_message_truncated(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg msgs[8];
    int k = 0;
    msgs[k++] = msg_begin(1, 2, 3);
    msgs[k++] = msg_commit(1, 2, 3);
    msgs[k++] = msg_relation(16384, "public", "t", 'd', 2, cols_ab, 1);
    Msg *m = &msgs[k++];
    m->len = 0;
    put_u8(m, 'O');
    put_u64(m, 5);
    put_str(m, "o");
    m = &msgs[k++];
    m->len = 0;
    put_u8(m, 'Y');
    put_u32(m, 5);
    put_str(m, "s");
    put_str(m, "ty");
    m = &msgs[k++];
    m->len = 0;
    put_u8(m, 'I');
    put_u32(m, 16384);
    put_u8(m, 'N');
    put_u16(m, 2);
    put_u8(m, 'b');
    put_u32(m, 2);
    put_bytes(m, "xy", 2);
    put_u8(m, 'n');
    m = &msgs[k++];
    m->len = 0;
    put_u8(m, 'T');
    put_u32(m, 1);
    put_u8(m, 3);
    put_u32(m, 16384);
    m = &msgs[k++];
    m->len = 0;
    put_u8(m, 'M');
    put_u8(m, 1);
    put_u64(m, 9);
    put_str(m, "p");
    put_u32(m, 3);
    put_bytes(m, "abc", 3);
    for (int i = 0; i < k; i++) {
        for (size_t n = 0; n < msgs[i].len; n++) {
            Msg cut = msgs[i];
            cut.len = n;
            if (decode(f, &cut) != -1)
                fail_msg("message %c decoded at length %zu of %zu", msgs[i].data[0], n, msgs[i].len);
            assert_true(strlen(f->err) > 0);
        }
        decode_ok(f, &msgs[i]);
        /* One byte too many is refused as well. */
        Msg longer = msgs[i];
        put_u8(&longer, 0);
        decode_err(f, &longer, "1 unexpected bytes at byte");
    }
}

static void
test_malformed(void **state)
{
    Fixture *f = *state;
    add_table_t(f);
    Msg m = { .len = 0 };

    /* 1. empty */
    decode_err(f, &m, "pgoutput message: empty");

    /* 2. unknown message type, printable and not */
    put_u8(&m, 'S');
    decode_err(f, &m, "pgoutput message: unknown message type 'S' (0x53)");
    m.data[0] = 0x01;
    decode_err(f, &m, "unknown message type 0x01");

    /* 3. Insert for an unknown relation */
    m.len = 0;
    put_u8(&m, 'I');
    put_u32(&m, 555);
    put_u8(&m, 'N');
    put_u16(&m, 0);
    decode_err(f, &m, "pgoutput Insert: unknown relation id 555 (no Relation message for it)");

    /* 4. tuple column count differs from the relation */
    m.len = 0;
    put_u8(&m, 'I');
    put_u32(&m, 16384);
    put_u8(&m, 'N');
    put_u16(&m, 1);
    put_text(&m, "x");
    decode_err(f, &m, "pgoutput Insert for relation public.t: new tuple has 1 columns but the relation has 2");

    /* 5. negative value length */
    m.len = 0;
    put_u8(&m, 'I');
    put_u32(&m, 16384);
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_u8(&m, 't');
    put_u32(&m, 0xFFFFFFFB);
    decode_err(f, &m, "new tuple has negative value length -5 at byte 9 of 13 (column 1 \"a\")");

    /* 6. value length beyond the message */
    m.len = 0;
    put_u8(&m, 'I');
    put_u32(&m, 16384);
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_u8(&m, 'n');
    put_u8(&m, 't');
    put_u32(&m, 0x7FFFFFFF);
    put_bytes(&m, "abc", 3);
    decode_err(f, &m, "new tuple truncated at byte 9 of 17 (column 2 \"b\")");

    /* 7. unknown value kind */
    m.len = 0;
    put_u8(&m, 'I');
    put_u32(&m, 16384);
    put_u8(&m, 'N');
    put_u16(&m, 2);
    put_u8(&m, 'n');
    put_u8(&m, 'z');
    decode_err(f, &m, "new tuple has unknown value kind 'z' (0x7a) at byte 9 of 10 (column 2 \"b\")");

    /* 8. Relation with too many columns: refused before allocating */
    m.len = 0;
    put_u8(&m, 'R');
    put_u32(&m, 1);
    put_str(&m, "s");
    put_str(&m, "wide");
    put_u8(&m, 'd');
    put_u16(&m, 1665);
    decode_err(f, &m, "pgoutput Relation for relation s.wide: column count 1665 out of range 0..1664");

    /* 9. Relation with a negative column count */
    m.data[m.len - 2] = (char) 0xFF;
    m.data[m.len - 1] = (char) 0xFF;
    decode_err(f, &m, "column count -1 out of range");

    /* 10. Relation announcing more columns than bytes follow */
    m.data[m.len - 2] = 0x06;
    m.data[m.len - 1] = (char) 0x80;
    put_u8(&m, 0);
    decode_err(f, &m, "column list truncated at byte 15 of 16");
    assert_null(pgoutput_relation(f->d, 1));

    /* 11. Relation with an unknown replica identity */
    m = msg_relation(2, "s", "x", 'q', 2, cols_ab, 0);
    decode_err(f, &m, "unknown replica identity 'q' (0x71) at byte 9 of");

    /* 12. Truncate with a negative count, and with a count the bytes cannot hold */
    m.len = 0;
    put_u8(&m, 'T');
    put_u32(&m, 0x80000000);
    put_u8(&m, 0);
    decode_err(f, &m, "pgoutput Truncate: negative relation count -2147483648 at byte 1 of 6");
    m.len = 0;
    put_u8(&m, 'T');
    put_u32(&m, 0x7FFFFFFF);
    put_u8(&m, 0);
    put_u32(&m, 16384);
    decode_err(f, &m, "relation ids truncated at byte 6 of 10 (2147483647 announced)");

    /* 13. Message with a negative content length */
    m.len = 0;
    put_u8(&m, 'M');
    put_u8(&m, 0);
    put_u64(&m, 1);
    put_str(&m, "p");
    put_u32(&m, 0xFFFFFFFF);
    decode_err(f, &m, "pgoutput Message: negative content length -1 at byte 12 of 16");

    /* 14. a String without its NUL */
    m.len = 0;
    put_u8(&m, 'O');
    put_u64(&m, 1);
    put_bytes(&m, "abc", 3);
    decode_err(f, &m, "pgoutput Origin: origin name truncated at byte 9 of 12 (no terminating NUL)");

    /* 15. protocol version 2 Begin (with streaming fields) is longer than version 1 */
    m = msg_begin(1, 2, 3);
    put_u32(&m, 77);
    decode_err(f, &m, "pgoutput Begin: 4 unexpected bytes at byte 21 of 25");

    /* 16. control characters from the wire never reach the error line */
    m = msg_relation(3, "evil\nschema", "t\r", 'x', 0, NULL, 0);
    decode_err(f, &m, "pgoutput Relation for relation evil?schema.t?: unknown replica identity");

    /* 17. a NULL or tiny error buffer is fine */
    m.len = 0;
    put_u8(&m, 'Z');
    assert_int_equal(pgoutput_decode(f->d, m.data, m.len, &f->c, NULL, 0), -1);
    char tiny[4] = "xyz";
    assert_int_equal(pgoutput_decode(f->d, m.data, m.len, &f->c, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "pgo");
}

/* ---- envelope, status update, LSN ---- */

static void
test_envelope_xlogdata(void **state)
{
    (void) state;
    Msg m = { .len = 0 };
    put_u8(&m, 'w');
    put_u64(&m, 0x16B374D848);
    put_u64(&m, 0x16B374F000);
    put_u64(&m, 123456789);
    Msg payload = msg_begin(1, 2, 3);
    put_bytes(&m, payload.data, payload.len);
    WalMessage w;
    char err[128];
    assert_int_equal(pgoutput_parse_envelope(m.data, m.len, &w, err, sizeof err), 0);
    assert_int_equal(w.kind, WAL_MSG_XLOGDATA);
    assert_int_equal(w.data_start, 0x16B374D848);
    assert_int_equal(w.wal_end, 0x16B374F000);
    assert_int_equal(w.send_time, 123456789);
    assert_false(w.reply_requested);
    assert_ptr_equal(w.payload, m.data + 25);
    assert_int_equal(w.payload_len, payload.len);

    /* The payload decodes. */
    PgOutputDecoder *d = pgoutput_new();
    Change c;
    assert_int_equal(pgoutput_decode(d, w.payload, w.payload_len, &c, err, sizeof err), 0);
    assert_int_equal(c.kind, CHANGE_BEGIN);
    pgoutput_free(d);

    /* Header only: an empty payload is the decoder's problem, not the envelope's. */
    assert_int_equal(pgoutput_parse_envelope(m.data, 25, &w, err, sizeof err), 0);
    assert_int_equal(w.payload_len, 0);
    for (size_t n = 0; n < 25; n++)
        assert_int_equal(pgoutput_parse_envelope(m.data, n, &w, err, sizeof err), -1);
    assert_int_equal(pgoutput_parse_envelope(m.data, 20, &w, err, sizeof err), -1);
    assert_string_equal(err, "walsender XLogData: send time truncated at byte 17 of 20");
}

static void
test_envelope_keepalive(void **state)
{
    (void) state;
    Msg m = { .len = 0 };
    put_u8(&m, 'k');
    put_u64(&m, 0xFFFFFFFF00000001);
    put_u64(&m, 42);
    put_u8(&m, 1);
    WalMessage w;
    char err[128];
    assert_int_equal(pgoutput_parse_envelope(m.data, m.len, &w, err, sizeof err), 0);
    assert_int_equal(w.kind, WAL_MSG_KEEPALIVE);
    assert_int_equal(w.wal_end, 0xFFFFFFFF00000001);
    assert_int_equal(w.send_time, 42);
    assert_true(w.reply_requested);
    assert_null(w.payload);

    m.data[17] = 0;
    assert_int_equal(pgoutput_parse_envelope(m.data, m.len, &w, err, sizeof err), 0);
    assert_false(w.reply_requested);

    for (size_t n = 0; n < m.len; n++)
        assert_int_equal(pgoutput_parse_envelope(m.data, n, &w, err, sizeof err), -1);
    assert_int_equal(pgoutput_parse_envelope(m.data, 17, &w, err, sizeof err), -1);
    assert_string_equal(err, "walsender keepalive: reply flag truncated at byte 17 of 17");
    put_u8(&m, 0);
    assert_int_equal(pgoutput_parse_envelope(m.data, m.len, &w, err, sizeof err), -1);
    assert_string_equal(err, "walsender keepalive: 1 unexpected bytes at byte 18 of 19");

    m.data[0] = 'x';
    assert_int_equal(pgoutput_parse_envelope(m.data, m.len, &w, err, sizeof err), -1);
    assert_string_equal(err, "walsender message: unknown CopyData message type 'x' (0x78)");
    assert_int_equal(pgoutput_parse_envelope(m.data, 0, &w, err, sizeof err), -1);
    assert_string_equal(err, "walsender message: empty");
}

static void
test_status_update(void **state)
{
    (void) state;
    char buf[40];
    memset(buf, 0x5a, sizeof buf);
    size_t n = pgoutput_status_update(buf, 0x0102030405060708, 0x1112131415161718, 0x16B374D848,
                                      -2, true);
    assert_int_equal(n, 34);
    static const unsigned char want[34] = {
        'r',
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
        0x00, 0x00, 0x00, 0x16, 0xB3, 0x74, 0xD8, 0x48,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0x01,
    };
    assert_memory_equal(buf, want, 34);
    assert_int_equal((unsigned char) buf[34], 0x5a);   /* nothing written past 34 bytes */

    n = pgoutput_status_update(buf, 0, 0, 0, 0, false);
    assert_int_equal(n, 34);
    assert_int_equal(buf[0], 'r');
    for (int i = 1; i < 34; i++)
        assert_int_equal(buf[i], 0);
}

static void
check_lsn(const char *text, StreamPos want, const char *canonical)
{
    StreamPos got = 1234;
    assert_int_equal(pg_lsn_parse(text, &got), 0);
    assert_int_equal(got, want);
    char buf[32];
    pg_lsn_format(got, buf, sizeof buf);
    assert_string_equal(buf, canonical);
    StreamPos again;
    assert_int_equal(pg_lsn_parse(buf, &again), 0);
    assert_int_equal(again, got);
}

static void
test_lsn(void **state)
{
    (void) state;
    check_lsn("16/B374D848", 0x16B374D848, "16/B374D848");
    check_lsn("16/b374d848", 0x16B374D848, "16/B374D848");
    check_lsn("0/0", 0, "0/0");
    check_lsn("0/1", 1, "0/1");
    check_lsn("00000000/00000010", 0x10, "0/10");
    check_lsn("FFFFFFFF/FFFFFFFF", UINT64_MAX, "FFFFFFFF/FFFFFFFF");
    check_lsn("1/0", 0x100000000, "1/0");

    static const char *const bad[] = {
        "", "/", "1/", "/1", "1", "123456789/0", "0/123456789", "1/2 ", " 1/2", "1/2/3", "g/1",
        "0x1/2", "1//2", "+1/2", "-1/2", "1/-2", "1 /2", "1/2\n", "1/G",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        StreamPos p = 99;
        if (pg_lsn_parse(bad[i], &p) == 0)
            fail_msg("\"%s\" parsed", bad[i]);
        assert_int_equal(p, 99);
    }
    StreamPos p;
    assert_int_equal(pg_lsn_parse(NULL, &p), -1);

    /* Round trips of scattered values. */
    uint64_t v = 0x9E3779B97F4A7C15;
    for (int i = 0; i < 1000; i++) {
        char buf[32];
        pg_lsn_format(v, buf, sizeof buf);
        StreamPos back;
        assert_int_equal(pg_lsn_parse(buf, &back), 0);
        assert_int_equal(back, v);
        v = v * 6364136223846793005u + 1442695040888963407u;
        v >>= i % 64;
    }

    /* A short buffer is truncated, not overrun. */
    char small[5];
    pg_lsn_format(0x16B374D848, small, sizeof small);
    assert_string_equal(small, "16/B");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_begin_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_bad_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_relations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_every_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_message_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test(test_envelope_xlogdata),
        cmocka_unit_test(test_envelope_keepalive),
        cmocka_unit_test(test_status_update),
        cmocka_unit_test(test_lsn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
