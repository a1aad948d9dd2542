/*
 * test_target_fit.c: what a target could not take, decided before anything
 * moves (flow/target_fit.h): a table without a primary key larger than the
 * one transaction a CockroachDB target commits, or, where fetch splits it
 * by place, than its shards.  Values are counted on a live source
 * (test_fetch_types and the integration suite).
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

/* where: a --where for public.events, or NULL; splits: the source splits keyless tables by place. */
static GwResult
fit_with(const EngineOps *target_ops, const Catalog *cat, bool splits, const char *where)
{
    /* A source that counts no values: only the tables' sizes decide. */
    static SourceOps no_counts;
    EngineOps source_ops = {.name = "stub", .source = &no_counts, .splits_keyless = splits};
    static Endpoint ep = {.redacted = "postgres://target/db"};
    EngineConn source = {.ops = &source_ops, .endpoint = &ep};
    EngineConn target = {.ops = target_ops, .endpoint = &ep};
    Selection rows;
    selection_init(&rows);
    char err[200];
    if (where)
        assert_int_equal(selection_add_filter(&rows, where, err, sizeof err), GW_OK);
    GwResult rc = target_fit_check(&source, &target, cat, &rows);
    selection_free(&rows);
    return rc;
}

static GwResult
fit(const EngineOps *target_ops, const Catalog *cat)
{
    return fit_with(target_ops, cat, false, NULL);
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

/* A PostgreSQL source splits a keyless table by blocks: each shard, not the table, must fit. */
static void
test_keyless_split(void **state)
{
    (void) state;
    const int64_t MB = 1024 * 1024;
    Catalog large, huge, parted;
    catalog_init(&large);
    catalog_init(&huge);
    catalog_init(&parted);
    add_table(&large, "events", false, 3000 * MB);
    add_table(&huge, "events", false, 65 * 1024 * MB);     /* 64 shards of more than 1 GiB */
    add_table(&parted, "events", false, 3000 * MB);
    parted.tables[0].partition_key_sql = gw_strdup("RANGE (at)");
    assert_int_equal(fit_with(&crdb_engine_ops, &large, true, NULL), GW_OK);
    assert_int_equal(fit_with(&crdb_engine_ops, &huge, true, NULL), GW_ERR_USAGE);
    /* A phase taking some of its rows splits it too (a resume deletes those); a partitioned one is copied whole. */
    assert_int_equal(fit_with(&crdb_engine_ops, &large, true, "public.events: region = 'a'"), GW_OK);
    assert_int_equal(fit_with(&crdb_engine_ops, &parted, true, NULL), GW_ERR_USAGE);
    assert_int_equal(fit_with(&crdb_engine_ops, &large, false, NULL), GW_ERR_USAGE);
    catalog_free(&large);
    catalog_free(&huge);
    catalog_free(&parted);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyless_sizes),
        cmocka_unit_test(test_keyless_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
