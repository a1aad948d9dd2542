/*
 * test_pg_grant.c: the GRANT a PostgreSQL refusal asks for (engine/pg/pg_grant.h), from the messages
 * PostgreSQL 15 writes (its aclchk.c and the replication checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/pg/pg_grant.h"

static void
expect(char *got, const char *want)
{
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void
test_grants(void **state)
{
    (void) state;
    expect(pg_grant_for("ERROR:  permission denied for table orders\n", "godwit", false),
           "GRANT SELECT ON TABLE \"orders\" TO \"godwit\"");
    expect(pg_grant_for("ERROR:  permission denied for table Typed é\n", "go\"dwit", true),
           "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE \"Typed é\" TO \"go\"\"dwit\"");
    expect(pg_grant_for("ERROR:  permission denied for schema _godwit\nLINE 1: ...", "app", false),
           "GRANT USAGE ON SCHEMA \"_godwit\" TO \"app\"");
    expect(pg_grant_for("ERROR:  permission denied for database shop\n", "app", true),
           "GRANT CONNECT, CREATE ON DATABASE \"shop\" TO \"app\"");
    expect(pg_grant_for("ERROR:  permission denied for sequence orders_id_seq\n", "app", true),
           "GRANT USAGE, SELECT, UPDATE ON SEQUENCE \"orders_id_seq\" TO \"app\"");
    expect(pg_grant_for("ERROR:  permission denied for function pg_replication_origin_create\n", "app", true),
           "GRANT EXECUTE ON FUNCTION \"pg_replication_origin_create\" TO \"app\"");
    expect(pg_grant_for("ERROR:  permission denied to create database\n", "app", true), "ALTER ROLE \"app\" CREATEDB");
    expect(pg_grant_for("ERROR:  must be superuser or replication role to use replication slots\n", "app", false),
           "ALTER ROLE \"app\" REPLICATION");
    expect(pg_grant_for("ERROR:  permission denied to set parameter \"session_replication_role\"\n", "app", true),
           "GRANT SET ON PARAMETER session_replication_role TO \"app\"");
    expect(pg_grant_for("ERROR:  something else entirely\n", "app", true), NULL);
    expect(pg_grant_for(NULL, "app", true), NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
