/*
 * test_engine_ops.c: every engine's ops table holds what its groups
 * require (engine_connect refuses a table that does not), the roles each
 * engine declares, and that a missing required operation is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/crdb/crdb_engine.h"
#include "engine/engine.h"
#include "engine/mysql/mysql_engine.h"
#include "engine/pg/pg_engine.h"

static void
test_tables_complete(void **state)
{
    (void) state;
    const EngineOps *tables[] = {&pg_engine_ops, &crdb_engine_ops, &mysql_engine_ops};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        const char *missing = "unset";
        assert_true(engine_ops_complete(tables[i], &missing));
        assert_null(missing);
    }
}

/* What flow/ relies on instead of an engine's kind. */
static void
test_roles(void **state)
{
    (void) state;
    assert_true(pg_engine_ops.copies_binary);
    assert_false(crdb_engine_ops.copies_binary);
    assert_false(mysql_engine_ops.copies_binary);
    assert_true(crdb_engine_ops.failback_by_changefeed);
    assert_false(pg_engine_ops.failback_by_changefeed);
    assert_false(mysql_engine_ops.failback_by_changefeed);
    /* MySQL: a source and a failback's target (apply), never a fetch's target nor a keeper of state. */
    assert_non_null(mysql_engine_ops.source);
    assert_non_null(mysql_engine_ops.stream);
    assert_non_null(mysql_engine_ops.apply);
    assert_null(mysql_engine_ops.target);
    assert_null(mysql_engine_ops.state);
    assert_null(mysql_engine_ops.staging);
}

/* CockroachDB shares the PostgreSQL engine's operations except where its dialect differs as a whole. */
static void
test_crdb_shares_pg(void **state)
{
    (void) state;
    assert_ptr_equal(crdb_engine_ops.state, pg_engine_ops.state);
    assert_ptr_equal(crdb_engine_ops.staging, pg_engine_ops.staging);
    assert_ptr_equal(crdb_engine_ops.source->scan_begin, pg_engine_ops.source->scan_begin);
    assert_ptr_equal(crdb_engine_ops.scratch_database, pg_engine_ops.scratch_database);
    /* Its describe leaves out the columns it keeps hidden (a keyless table's rowid). */
    assert_ptr_not_equal(crdb_engine_ops.source->describe, pg_engine_ops.source->describe);
    assert_ptr_equal(crdb_engine_ops.target->prepare_schema, pg_engine_ops.target->prepare_schema);
    assert_ptr_not_equal(crdb_engine_ops.source->snapshot_join, pg_engine_ops.source->snapshot_join);
    assert_ptr_not_equal(crdb_engine_ops.target->check_types, pg_engine_ops.target->check_types);
    assert_ptr_not_equal(crdb_engine_ops.apply->fence_install, pg_engine_ops.apply->fence_install);
}

static void
test_missing_named(void **state)
{
    (void) state;
    SourceOps source = *pg_engine_ops.source;
    source.describe = NULL;
    EngineOps ops = pg_engine_ops;
    ops.source = &source;
    const char *missing = NULL;
    assert_false(engine_ops_complete(&ops, &missing));
    assert_string_equal(missing, "source.describe");
    /* An optional operation may be missing. */
    source.describe = pg_engine_ops.source->describe;
    source.count_rows = NULL;
    assert_true(engine_ops_complete(&ops, &missing));
    /* So may a whole group. */
    ops.staging = NULL;
    assert_true(engine_ops_complete(&ops, &missing));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_complete),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_crdb_shares_pg),
        cmocka_unit_test(test_missing_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
