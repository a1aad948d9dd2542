/*
 * test_apply_rules.c: the apply rules (core/apply_rules.h) for every change
 * kind, keyed or not, whole or missing values, key moved or not, must_exist,
 * guard and the semantic switches; the merge rule; and the statements the
 * PostgreSQL and MySQL appliers render from operations, without a server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/apply_rules.h"
#include "engine/mysql/mysql_apply_internal.h"
#include "engine/pg/pg_apply_internal.h"

/* A relation public.t (id, a, b); id is the source's key. */
static RelationColumn cols[3] = {{.name = "id", .key = true}, {.name = "a"}, {.name = "b"}};
static RelationInfo rel = {.id = 7, .schema = "public", .name = "t", .ncols = 3, .cols = cols};
static const bool KEY[3] = {true, false, false};

static const ApplySemantics PG_LOG = {.log_has_cascade_effects = true, .target_fires_triggers = true};
static const ApplySemantics NO_CASCADES = {.log_has_cascade_effects = false, .target_fires_triggers = true};

#define T(s) ((ChangeValue) {.kind = VALUE_TEXT, .data = (s), .len = sizeof(s) - 1})
#define U ((ChangeValue) {.kind = VALUE_UNCHANGED})
#define N ((ChangeValue) {.kind = VALUE_NULL})

typedef struct Fixture {
    ChangeValue newv[3], oldv[3];
    Change ch;
    ApplyPlan plan;
} Fixture;

static Fixture f;

static int
setup(void **state)
{
    (void) state;
    memset(&f, 0, sizeof f);
    apply_plan_init(&f.plan);
    f.ch.rel = &rel;
    f.ch.new_tuple = (ChangeTuple) {.ncols = 3, .values = f.newv};
    f.ch.old_tuple = (ChangeTuple) {.ncols = 3, .values = f.oldv};
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    apply_plan_free(&f.plan);
    return 0;
}

static void
set_new(ChangeValue a, ChangeValue b, ChangeValue c)
{
    f.newv[0] = a;
    f.newv[1] = b;
    f.newv[2] = c;
}

static void
set_old(ChangeOldRow kind, ChangeValue a, ChangeValue b, ChangeValue c)
{
    f.ch.old_kind = kind;
    f.oldv[0] = a;
    f.oldv[1] = b;
    f.oldv[2] = c;
}

static bool
plan(ChangeKind kind, const bool *key, const ApplySemantics *sem)
{
    f.ch.kind = kind;
    return apply_rules_plan(&f.ch, key, sem, &f.plan);
}

static void
assert_mask(const bool *mask, bool a, bool b, bool c)
{
    assert_non_null(mask);
    assert_int_equal(mask[0], a);
    assert_int_equal(mask[1], b);
    assert_int_equal(mask[2], c);
}

static void
assert_text(const ChangeTuple *t, int i, const char *s)
{
    assert_int_equal(t->values[i].kind, VALUE_TEXT);
    assert_int_equal(t->values[i].len, strlen(s));
    assert_memory_equal(t->values[i].data, s, strlen(s));
}

/* ---------------------------------------------------------------- inserts */

static void
test_insert(void **state)
{
    (void) state;
    set_new(T("1"), T("x"), N);
    assert_true(plan(CHANGE_INSERT, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 1);
    const ApplyOp *op = &f.plan.ops[0];
    assert_int_equal(op->kind, APPLY_UPSERT);
    assert_true(op->mergeable);
    assert_mask(op->set, true, true, true);
    assert_ptr_equal(op->match_cols, KEY);
    assert_text(op->row, 1, "x");

    /* No usable key: a plain insert, which may still be batched. */
    assert_true(plan(CHANGE_INSERT, NULL, &PG_LOG));
    assert_int_equal(f.plan.ops[0].kind, APPLY_INSERT);
    assert_null(f.plan.ops[0].match_cols);
    assert_true(f.plan.ops[0].mergeable);
}

static void
test_insert_missing_values(void **state)
{
    (void) state;
    /* An update turned insert (a row moved into the phase) without its unchanged value: refused. */
    set_new(T("1"), U, T("y"));
    assert_false(plan(CHANGE_INSERT, KEY, &PG_LOG));
    assert_string_equal(f.plan.refused, "an update that moves a row into the phase without all its values");
    assert_int_equal(f.plan.nops, 0);
    /* With the whole old row, the value is taken from it. */
    set_old(CHANGE_OLD_ROW, T("1"), T("old-a"), T("old-b"));
    assert_true(plan(CHANGE_INSERT, KEY, &PG_LOG));
    assert_int_equal(f.plan.ops[0].kind, APPLY_UPSERT);
    assert_text(f.plan.ops[0].row, 1, "old-a");
    assert_text(f.plan.ops[0].row, 2, "y");
    /* Only the key of the old row: still missing. */
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_false(plan(CHANGE_INSERT, KEY, &PG_LOG));
}

static void
test_insert_binary_not_merged(void **state)
{
    (void) state;
    set_new(T("1"), ((ChangeValue) {.kind = VALUE_BINARY, .data = "\x01", .len = 1}), N);
    assert_true(plan(CHANGE_INSERT, KEY, &PG_LOG));
    assert_int_equal(f.plan.ops[0].kind, APPLY_UPSERT);
    assert_false(f.plan.ops[0].mergeable);
}

/* ---------------------------------------------------------------- updates, keyed */

static void
test_update_whole_row(void **state)
{
    (void) state;
    set_new(T("1"), T("x"), T("y"));
    /* No old row (key unchanged), an old key, a whole old row: all the same upsert. */
    for (ChangeOldRow k = CHANGE_OLD_NONE; k <= CHANGE_OLD_ROW; k++) {
        set_old(k, T("1"), k == CHANGE_OLD_ROW ? T("p") : U, k == CHANGE_OLD_ROW ? T("q") : U);
        for (int s = 0; s < 2; s++) {
            assert_true(plan(CHANGE_UPDATE, KEY, s ? &NO_CASCADES : &PG_LOG));
            assert_int_equal(f.plan.nops, 1);
            assert_int_equal(f.plan.ops[0].kind, APPLY_UPSERT);
            assert_true(f.plan.ops[0].mergeable);
        }
    }
}

static void
test_update_key_moved(void **state)
{
    (void) state;
    set_new(T("2"), T("x"), T("y"));
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    /* The source's log has the cascades: delete the old key, upsert the new row; both mergeable. */
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 2);
    assert_int_equal(f.plan.ops[0].kind, APPLY_DELETE);
    assert_ptr_equal(f.plan.ops[0].match, &f.ch.old_tuple);
    assert_ptr_equal(f.plan.ops[0].match_cols, KEY);
    assert_true(f.plan.ops[0].mergeable);
    assert_int_equal(f.plan.ops[1].kind, APPLY_UPSERT);
    assert_text(f.plan.ops[1].row, 0, "2");

    /*
     * FK actions must fire (MySQL's binlog omits cascades): an UPDATE of the key, found by the old key;
     * then, for a replay (where the UPDATE finds nothing, or the new key there already), the old key's
     * row deleted and the whole new row upserted.
     */
    assert_true(plan(CHANGE_UPDATE, KEY, &NO_CASCADES));
    assert_int_equal(f.plan.nops, 3);
    const ApplyOp *op = &f.plan.ops[0];
    assert_int_equal(op->kind, APPLY_UPDATE_KEY);
    assert_false(op->mergeable);
    assert_mask(op->set, true, true, true);
    assert_ptr_equal(op->match, &f.ch.old_tuple);
    assert_text(op->row, 0, "2");
    assert_int_equal(f.plan.ops[1].kind, APPLY_DELETE);
    assert_ptr_equal(f.plan.ops[1].match, &f.ch.old_tuple);
    assert_int_equal(f.plan.ops[2].kind, APPLY_UPSERT);
    assert_text(f.plan.ops[2].row, 0, "2");
}

static void
test_update_missing_values(void **state)
{
    (void) state;
    set_new(T("1"), T("x"), U);
    set_old(CHANGE_OLD_NONE, N, N, N);
    /* Only the values sent, of the row found by its (unmoved) key; never the key itself. */
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 1);
    const ApplyOp *op = &f.plan.ops[0];
    assert_int_equal(op->kind, APPLY_UPDATE);
    assert_mask(op->set, false, true, false);
    assert_ptr_equal(op->match, op->row);
    assert_ptr_equal(op->match_cols, KEY);
    assert_false(op->must_find);
    assert_false(op->mergeable);
    /* The row must be there (it entered the phase): the applier checks it was found. */
    f.ch.must_exist = true;
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_true(f.plan.ops[0].must_find);
}

static void
test_update_only_key_sent(void **state)
{
    (void) state;
    set_new(T("1"), U, U);
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 0);
    /* Nothing to write, but the row must be found. */
    f.ch.must_exist = true;
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 1);
    assert_int_equal(f.plan.ops[0].kind, APPLY_UPDATE);
    assert_mask(f.plan.ops[0].set, false, false, false);
    assert_true(f.plan.ops[0].must_find);
}

static void
test_update_key_moved_missing_values(void **state)
{
    (void) state;
    /* A moved key with unchanged values is updated in place, keeping them: whatever the switches. */
    set_new(T("2"), T("x"), U);
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    for (int s = 0; s < 2; s++) {
        assert_true(plan(CHANGE_UPDATE, KEY, s ? &NO_CASCADES : &PG_LOG));
        assert_int_equal(f.plan.nops, 1);
        const ApplyOp *op = &f.plan.ops[0];
        assert_int_equal(op->kind, APPLY_UPDATE_KEY);
        assert_mask(op->set, true, true, false);
        assert_ptr_equal(op->match, &f.ch.old_tuple);
        assert_false(op->must_find);
    }
}

/* ---------------------------------------------------------------- updates, keyless */

static void
test_update_keyless(void **state)
{
    (void) state;
    set_new(T("1"), T("x"), T("y"));
    /* A whole old row: matched on every value it sent. */
    set_old(CHANGE_OLD_ROW, T("1"), T("w"), U);
    assert_true(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_int_equal(f.plan.nops, 1);
    const ApplyOp *op = &f.plan.ops[0];
    assert_int_equal(op->kind, APPLY_UPDATE_MATCH);
    assert_mask(op->match_cols, true, true, false);
    assert_ptr_equal(op->match, &f.ch.old_tuple);
    assert_mask(op->set, true, true, true);
    assert_false(op->mergeable);
    /* The replica identity's key: matched on it. */
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_true(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_mask(f.plan.ops[0].match_cols, true, false, false);
    /* No old row: no identity. */
    set_old(CHANGE_OLD_NONE, U, U, U);
    assert_false(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_string_equal(f.plan.refused, "an update");
    /* Nothing sent to set: nothing to do. */
    set_new(U, U, U);
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_true(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_int_equal(f.plan.nops, 0);
}

/* ---------------------------------------------------------------- deletes */

static void
test_delete(void **state)
{
    (void) state;
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_true(plan(CHANGE_DELETE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 1);
    assert_int_equal(f.plan.ops[0].kind, APPLY_DELETE);
    assert_true(f.plan.ops[0].mergeable);
    assert_null(f.plan.ops[0].guard);
    /* Guarded: only a row of the phase; never merged. */
    const struct Predicate *guard = (const struct Predicate *) &guard;
    f.ch.delete_guard = guard;
    assert_true(plan(CHANGE_DELETE, KEY, &NO_CASCADES));
    assert_int_equal(f.plan.ops[0].kind, APPLY_DELETE_GUARDED);
    assert_ptr_equal(f.plan.ops[0].guard, guard);
    assert_false(f.plan.ops[0].mergeable);
}

static void
test_delete_without_key_values(void **state)
{
    (void) state;
    /* No old row at all. */
    assert_false(plan(CHANGE_DELETE, KEY, &PG_LOG));
    assert_string_equal(f.plan.refused, "a delete");
    /* An old row without the target's key (another replica identity): matched on what it has. */
    set_old(CHANGE_OLD_ROW, U, T("x"), N);
    assert_true(plan(CHANGE_DELETE, KEY, &PG_LOG));
    assert_int_equal(f.plan.ops[0].kind, APPLY_DELETE_MATCH);
    assert_mask(f.plan.ops[0].match_cols, false, true, true);
    /* Keyless: the same. */
    set_old(CHANGE_OLD_ROW, T("1"), T("x"), N);
    assert_true(plan(CHANGE_DELETE, NULL, &PG_LOG));
    assert_int_equal(f.plan.ops[0].kind, APPLY_DELETE_MATCH);
    assert_mask(f.plan.ops[0].match_cols, true, true, true);
    assert_false(f.plan.ops[0].mergeable);
    /* Nothing to match on. */
    set_old(CHANGE_OLD_ROW, U, U, U);
    assert_false(plan(CHANGE_DELETE, NULL, &PG_LOG));
}

static void
test_other_kinds(void **state)
{
    (void) state;
    assert_true(plan(CHANGE_TRUNCATE, KEY, &PG_LOG));
    assert_int_equal(f.plan.nops, 0);
    assert_true(plan(CHANGE_MESSAGE, NULL, &PG_LOG));
    assert_int_equal(f.plan.nops, 0);
}

/* ---------------------------------------------------------------- merge */

static void
test_merge_rule(void **state)
{
    (void) state;
    ApplySemantics quiet = {.log_has_cascade_effects = true, .target_fires_triggers = false};
    ApplyTableTraits base = {.has_key = true, .keys_merge_exactly = true};
    ApplyTableTraits t = base;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_BY_KEY);
    t.keys_merge_exactly = false;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_NONE);
    t = base;
    t.has_key = false;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_INSERTS);
    t = base;
    t.other_unique = true;
    assert_int_equal(apply_rules_merge(&t, &quiet), APPLY_MERGE_NONE);
    /* Triggers: only when they fire. */
    t = base;
    t.has_triggers = true;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_NONE);
    assert_int_equal(apply_rules_merge(&t, &quiet), APPLY_MERGE_BY_KEY);
    /* Foreign keys: when the session checks them, or their actions must fire. */
    t = base;
    t.has_foreign_keys = true;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_BY_KEY);
    assert_int_equal(apply_rules_merge(&t, &NO_CASCADES), APPLY_MERGE_NONE);
    t.foreign_keys_checked = true;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_NONE);
    t.has_key = false;
    assert_int_equal(apply_rules_merge(&t, &PG_LOG), APPLY_MERGE_NONE);
    /* Today's semantics: cascades in the log, triggers fire. */
    ApplySemantics today = apply_semantics_today();
    assert_true(today.log_has_cascade_effects);
    assert_true(today.target_fires_triggers);
}

static void
test_traits_and_key_of_table(void **state)
{
    (void) state;
    ColumnDef tcols[3] = {{.name = "id"}, {.name = "a"}, {.name = "b"}};
    size_t pk[1] = {0};
    ConstraintDef cons[2] = {{.kind = CONSTRAINT_PRIMARY}, {.kind = CONSTRAINT_CHECK}};
    TableDef t = {.schema = "public", .name = "t", .columns = tcols, .ncolumns = 3, .pk = pk, .npk = 1,
                  .constraints = cons, .nconstraints = 2};
    ApplyTableTraits tr = apply_rules_traits_of(&t);
    assert_false(tr.other_unique);
    assert_false(tr.has_foreign_keys);
    assert_false(tr.has_triggers);
    cons[1].kind = CONSTRAINT_FOREIGN;
    assert_true(apply_rules_traits_of(&t).has_foreign_keys);
    cons[1].kind = CONSTRAINT_UNIQUE;
    assert_true(apply_rules_traits_of(&t).other_unique);
    cons[1].kind = CONSTRAINT_EXCLUSION;
    assert_true(apply_rules_traits_of(&t).other_unique);
    IndexDef idx = {.unique = true};
    t.nconstraints = 1;
    t.indexes = &idx;
    t.nindexes = 1;
    assert_true(apply_rules_traits_of(&t).other_unique);
    t.nindexes = 0;
    t.referenced = true;
    t.has_triggers = true;
    tr = apply_rules_traits_of(&t);
    assert_true(tr.has_foreign_keys);
    assert_true(tr.has_triggers);

    bool mask[3];
    assert_true(apply_rules_key_mask(&t, &rel, mask));
    assert_mask(mask, true, false, false);
    pk[0] = 2;
    tcols[2].name = "missing";
    assert_false(apply_rules_key_mask(&t, &rel, mask));
    t.npk = 0;
    assert_false(apply_rules_key_mask(&t, &rel, mask));
}

/* ---------------------------------------------------------------- PostgreSQL statements */

static char *
pg_sql_of(const ApplyOp *op, bool crdb)
{
    ColumnDef tcols[3] = {{.name = "id"}, {.name = "a"}, {.name = "b"}};
    TableDef t = {.schema = "public", .name = "t", .columns = tcols, .ncolumns = 3};
    PgApplySql how = {.crdb = crdb, .guard_sql = "\"a\" = 'x'"};
    return pg_apply_sql(op, &rel, &t, &how);
}

static void
assert_pg_sql(const ApplyOp *op, bool crdb, const char *want)
{
    char *sql = pg_sql_of(op, crdb);
    assert_string_equal(sql, want);
    free(sql);
}

static void
test_pg_statements(void **state)
{
    (void) state;
    set_new(T("1"), T("x"), U);
    f.ch.must_exist = true;
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false, "UPDATE ONLY \"public\".\"t\" SET \"a\" = $1 WHERE \"id\" = $2");
    assert_true(pg_apply_params_match(&f.plan.ops[0]));

    set_new(T("1"), T("x"), T("y"));
    assert_true(plan(CHANGE_INSERT, KEY, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false,
                  "INSERT INTO \"public\".\"t\" (\"id\", \"a\", \"b\") VALUES ($1, $2, $3) ON CONFLICT (\"id\") DO"
                  " UPDATE SET \"a\" = EXCLUDED.\"a\", \"b\" = EXCLUDED.\"b\"");
    assert_false(pg_apply_params_match(&f.plan.ops[0]));
    assert_true(plan(CHANGE_INSERT, NULL, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false, "INSERT INTO \"public\".\"t\" (\"id\", \"a\", \"b\") VALUES ($1, $2, $3)");

    set_new(T("2"), T("x"), T("y"));
    assert_true(plan(CHANGE_UPDATE, KEY, &NO_CASCADES));
    assert_pg_sql(&f.plan.ops[0], false,
                  "UPDATE ONLY \"public\".\"t\" SET \"id\" = $1, \"a\" = $2, \"b\" = $3 WHERE \"id\" = $4"
                  " AND NOT EXISTS (SELECT 1 FROM ONLY \"public\".\"t\" AS n WHERE n.\"id\" = $1)");

    f.ch.delete_guard = (const struct Predicate *) &f;
    assert_true(plan(CHANGE_DELETE, KEY, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false, "DELETE FROM ONLY \"public\".\"t\" WHERE \"id\" = $1 AND (\"a\" = 'x')");
    assert_pg_sql(&f.plan.ops[0], true, "DELETE FROM \"public\".\"t\" WHERE \"id\" = $1 AND (\"a\" = 'x')");

    set_old(CHANGE_OLD_ROW, T("1"), T("w"), U);
    assert_true(plan(CHANGE_DELETE, NULL, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false,
                  "DELETE FROM ONLY \"public\".\"t\" WHERE ctid = (SELECT ctid FROM ONLY \"public\".\"t\" WHERE"
                  " \"id\"::text IS NOT DISTINCT FROM $1 AND \"a\"::text IS NOT DISTINCT FROM $2 LIMIT 1)");
    assert_true(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], true,
                  "UPDATE \"public\".\"t\" SET \"id\" = $1, \"a\" = $2, \"b\" = $3 WHERE \"id\"::text IS NOT"
                  " DISTINCT FROM $4 AND \"a\"::text IS NOT DISTINCT FROM $5 LIMIT 1");

    /* Only the key sent, the row must be found: a statement that only finds it. */
    set_new(T("1"), U, U);
    set_old(CHANGE_OLD_NONE, U, U, U);
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    assert_pg_sql(&f.plan.ops[0], false, "UPDATE ONLY \"public\".\"t\" SET \"id\" = \"id\" WHERE \"id\" = $1");

    /* One statement per shape: the same shape, the same key; another mask, another key. */
    char *k1 = pg_apply_statement_key(&f.plan.ops[0], &rel);
    set_new(T("1"), T("x"), U);
    assert_true(plan(CHANGE_UPDATE, KEY, &PG_LOG));
    char *k2 = pg_apply_statement_key(&f.plan.ops[0], &rel);
    assert_string_not_equal(k1, k2);
    assert_string_equal(k2, "2|7|210");
    free(k1);
    free(k2);
}

/* ---------------------------------------------------------------- MySQL statements */

static MyColumn my_cols[3] = {{.name = "id", .kind = MYV_INT}, {.name = "a", .kind = MYV_TEXT},
                              {.name = "b", .kind = MYV_JSON}};

static void
my_table(ApplyTable *t, bool keyed, bool *key)
{
    static char *names[3] = {"id", "a", "b"};
    static char *qcols[3] = {"`id`", "`a`", "`b`"};
    static const MyColumn *colp[3] = {&my_cols[0], &my_cols[1], &my_cols[2]};
    static bool is_char[3];
    memset(t, 0, sizeof *t);
    for (int i = 0; i < 3; i++)
        key[i] = keyed && KEY[i];
    *t = (ApplyTable) {.rel = &rel, .schema = "s", .name = "t", .ncols = 3, .colnames = names, .cols = colp,
                       .is_char = is_char, .key = key, .nkey = keyed, .has_key = keyed, .qname = "`s`.`t`",
                       .qcols = qcols};
}

static void
assert_my_sql(MyConn *c, const ApplyTable *t, const ApplyOp *op, const char *want)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(mysql_apply_op_sql(c, t, op, "utf8mb4_nopad_bin", &sb), GW_OK);
    assert_string_equal(sb.data, want);
    strbuf_free(&sb);
}

static void
test_mysql_statements(void **state)
{
    (void) state;
    MyConn c = {.mariadb = true, .server_version = 101100};
    ApplyTable t;
    bool key[3];
    my_table(&t, true, key);

    mysql_apply_table_heads(&t, NULL);
    assert_string_equal(t.upsert_head, "INSERT INTO `s`.`t` (`id`, `a`, `b`) VALUES ");
    assert_string_equal(t.upsert_tail, " ON DUPLICATE KEY UPDATE `a` = VALUES(`a`), `b` = VALUES(`b`)");
    assert_string_equal(t.delete_head, "DELETE FROM `s`.`t` WHERE `id` IN (");
    free(t.upsert_head);
    free(t.upsert_tail);
    free(t.delete_head);

    set_new(T("1"), T("it's"), N);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(mysql_apply_row_sql(&c, &t, &f.ch.new_tuple, false, &sb), GW_OK);
    assert_string_equal(sb.data, "(1,'it''s',NULL)");
    strbuf_reset(&sb);
    assert_int_equal(mysql_apply_row_sql(&c, &t, &f.ch.new_tuple, true, &sb), GW_OK);
    assert_string_equal(sb.data, "1");
    strbuf_free(&sb);

    set_new(T("1"), T("x"), U);
    assert_true(plan(CHANGE_UPDATE, key, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0], "UPDATE `s`.`t` SET `a` = 'x' WHERE `id` = 1");
    set_new(T("2"), T("x"), U);
    set_old(CHANGE_OLD_KEY, T("1"), U, U);
    assert_true(plan(CHANGE_UPDATE, key, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0], "UPDATE `s`.`t` SET `id` = 2, `a` = 'x' WHERE `id` = 1");
    set_new(T("1"), U, U);
    set_old(CHANGE_OLD_NONE, U, U, U);
    f.ch.must_exist = true;
    assert_true(plan(CHANGE_UPDATE, key, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0], "UPDATE `s`.`t` SET `id` = `id` WHERE `id` = 1");

    /* No key: one row matched exactly on the old row's values. */
    my_table(&t, false, key);
    set_new(T("1"), T("y"), T("{}"));
    set_old(CHANGE_OLD_ROW, T("1"), T("x"), T("{\"k\": 1}"));
    assert_true(plan(CHANGE_UPDATE, NULL, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0],
                  "UPDATE `s`.`t` SET `id` = 1, `a` = 'y', `b` = '{}' WHERE `id` <=> 1 AND `a` = _utf8mb4'x'"
                  " COLLATE utf8mb4_nopad_bin AND JSON_EQUALS(`b`, '{\"k\": 1}') LIMIT 1");
    set_old(CHANGE_OLD_ROW, N, T("x"), U);
    assert_true(plan(CHANGE_DELETE, NULL, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0],
                  "DELETE FROM `s`.`t` WHERE `id` IS NULL AND `a` = _utf8mb4'x' COLLATE utf8mb4_nopad_bin LIMIT 1");
    /* Oracle MySQL compares JSON as JSON. */
    c.mariadb = false;
    c.server_version = 80030;
    set_old(CHANGE_OLD_ROW, U, U, T("[1]"));
    assert_true(plan(CHANGE_DELETE, NULL, &PG_LOG));
    assert_my_sql(&c, &t, &f.plan.ops[0], "DELETE FROM `s`.`t` WHERE `b` = CAST('[1]' AS JSON) LIMIT 1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_missing_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_binary_not_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_whole_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_key_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_missing_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_only_key_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_key_moved_missing_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_keyless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_without_key_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_kinds, setup, teardown),
        cmocka_unit_test(test_merge_rule),
        cmocka_unit_test(test_traits_and_key_of_table),
        cmocka_unit_test_setup_teardown(test_pg_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mysql_statements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
