/*
 * test_target_fit.c: what a target could not take, decided before anything
 * moves (flow/target_fit.h): a table without a primary key larger than the
 * one transaction a CockroachDB target commits.  Values are counted on a
 * live source (test_fetch_types and the integration suite).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/crdb/crdb_engine.h"
#include "engine/pg/pg_engine.h"
#include "flow/target_fit.h"
#include "util/mem.h"

static void
add_table(Catalog *cat, const char *name, bool keyed, int64_t bytes)
{
    TableDef *t = catalog_add_table(cat);
    t->schema = gw_strdup("public");
    t->name = gw_strdup(name);
    t->est_bytes = bytes;
    if (keyed) {
        t->npk = 1;
        t->pk = gw_calloc(1, sizeof *t->pk);
    }
}

static GwResult
fit(const EngineOps *target_ops, const Catalog *cat)
{
    /* A source that counts no values: only the tables' sizes decide. */
    static SourceOps no_counts;
    static EngineOps source_ops = {.name = "stub", .source = &no_counts};
    static Endpoint ep = {.redacted = "postgres://target/db"};
    EngineConn source = {.ops = &source_ops, .endpoint = &ep};
    EngineConn target = {.ops = target_ops, .endpoint = &ep};
    Selection rows;
    selection_init(&rows);
    GwResult rc = target_fit_check(&source, &target, cat, &rows);
    selection_free(&rows);
    return rc;
}

static void
test_keyless_sizes(void **state)
{
    (void) state;
    const int64_t MB = 1024 * 1024;
    Catalog small, large, keyed;
    catalog_init(&small);
    catalog_init(&large);
    catalog_init(&keyed);
    add_table(&small, "events", false, 900 * MB);
    add_table(&large, "events", false, 3000 * MB);
    add_table(&keyed, "orders", true, 50000 * MB);
    assert_int_equal(fit(&crdb_engine_ops, &small), GW_OK);
    assert_int_equal(fit(&crdb_engine_ops, &large), GW_ERR_USAGE);
    assert_int_equal(fit(&crdb_engine_ops, &keyed), GW_OK);
    /* PostgreSQL commits a transaction of any size. */
    assert_int_equal(fit(&pg_engine_ops, &large), GW_OK);
    catalog_free(&small);
    catalog_free(&large);
    catalog_free(&keyed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyless_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
