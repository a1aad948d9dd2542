/*
 * test_catalog.c: changes to a described table (core/catalog.h): a hidden
 * column left out, with the key it carried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/catalog.h"
#include "util/mem.h"

/* t (a, rowid, b) keyed by the given columns, with a PRIMARY and a UNIQUE constraint. */
static TableDef *
add_table(Catalog *cat, const size_t *pk, size_t npk)
{
    TableDef *t = catalog_add_table(cat);
    t->schema = gw_strdup("public");
    t->name = gw_strdup("t");
    const char *names[] = {"a", "rowid", "b"};
    t->ncolumns = 3;
    t->columns = gw_calloc(3, sizeof *t->columns);
    for (size_t i = 0; i < 3; i++) {
        t->columns[i].name = gw_strdup(names[i]);
        t->columns[i].type_sql = gw_strdup("INT8");
    }
    t->npk = npk;
    t->pk = gw_calloc(npk + 1, sizeof *t->pk);
    memcpy(t->pk, pk, npk * sizeof *pk);
    t->nconstraints = 2;
    t->constraints = gw_calloc(2, sizeof *t->constraints);
    t->constraints[0] = (ConstraintDef){.name = gw_strdup("t_pkey"), .kind = CONSTRAINT_PRIMARY,
                                        .definition = gw_strdup("PRIMARY KEY (x)")};
    t->constraints[1] = (ConstraintDef){.name = gw_strdup("t_b_key"), .kind = CONSTRAINT_UNIQUE,
                                        .definition = gw_strdup("UNIQUE (b)")};
    return t;
}

/* CockroachDB's rowid key of a table made without one: the table is keyless, as on the source. */
static void
test_hidden_key_column(void **state)
{
    (void) state;
    Catalog cat;
    catalog_init(&cat);
    size_t pk[] = {1};
    TableDef *t = add_table(&cat, pk, 1);
    table_drop_hidden_column(t, 1);
    assert_int_equal(t->ncolumns, 2);
    assert_string_equal(t->columns[0].name, "a");
    assert_string_equal(t->columns[1].name, "b");
    assert_int_equal(t->npk, 0);
    assert_null(table_primary_key(t));
    assert_int_equal(t->nconstraints, 1);
    assert_string_equal(t->constraints[0].name, "t_b_key");
    catalog_free(&cat);
}

/* A hidden column outside the key (a hash-sharded index's): the key's positions follow. */
static void
test_hidden_other_column(void **state)
{
    (void) state;
    Catalog cat;
    catalog_init(&cat);
    size_t pk[] = {2, 0};
    TableDef *t = add_table(&cat, pk, 2);
    table_drop_hidden_column(t, 1);
    assert_int_equal(t->ncolumns, 2);
    assert_int_equal(t->npk, 2);
    assert_int_equal(t->pk[0], 1);
    assert_int_equal(t->pk[1], 0);
    assert_string_equal(t->columns[t->pk[0]].name, "b");
    assert_non_null(table_primary_key(t));
    assert_int_equal(t->nconstraints, 2);
    catalog_free(&cat);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hidden_key_column),
        cmocka_unit_test(test_hidden_other_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
