/*
 * test_mysql_grant.c: the GRANT a MySQL/MariaDB refusal asks for (engine/mysql/mysql_grant.h), from
 * the messages MariaDB 10.11 wrote to a user lacking each privilege (recorded on a test server) and
 * MySQL 8's form of the table message (its errmsg-utf8.txt: "for table '%-.192s'").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/mysql/mysql_grant.h"

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
test_table_commands(void **state)
{
    (void) state;
    expect(mysql_grant_for(1142, "TRIGGER command denied to user 'mig'@'127.0.0.1' for table `app`.`t`", "mig@%"),
           "GRANT TRIGGER ON `app`.`t` TO 'mig'@'%'");
    expect(mysql_grant_for(1142, "SELECT command denied to user 'mig'@'127.0.0.1' for table `we'ird`.`Ta``b`", NULL),
           "GRANT SELECT ON `we'ird`.`Ta``b` TO 'mig'@'127.0.0.1'");
    expect(mysql_grant_for(1142, "CREATE command denied to user 'mig'@'127.0.0.1' for table `app`.`x`", "o'k@10.%"),
           "GRANT CREATE ON `app`.`x` TO 'o''k'@'10.%'");
    /* MySQL 8 names the table alone, in single quotes. */
    expect(mysql_grant_for(1142, "INSERT command denied to user 'mig'@'localhost' for table 'Ord`ers'", "mig@localhost"),
           "GRANT INSERT ON `Ord``ers` TO 'mig'@'localhost'");
    /* A user name holding @: the host is after the last one. */
    expect(mysql_grant_for(1142, "DELETE command denied to user 'a@b'@'h' for table `d`.`t`", "a@b@h"),
           "GRANT DELETE ON `d`.`t` TO 'a@b'@'h'");
}

static void
test_global_privileges(void **state)
{
    (void) state;
    expect(mysql_grant_for(1227, "Access denied; you need (at least one of) the SUPER, BINLOG MONITOR privilege(s) for"
                                 " this operation", "mig@%"),
           "GRANT BINLOG MONITOR ON *.* TO 'mig'@'%'");
    expect(mysql_grant_for(1227, "Access denied; you need (at least one of) the RELOAD privilege(s) for this operation",
                           "mig@%"),
           "GRANT RELOAD ON *.* TO 'mig'@'%'");
    expect(mysql_grant_for(1227, "Access denied; you need (at least one of) the SUPER privilege(s) for this operation",
                           "mig@%"),
           "GRANT SUPER ON *.* TO 'mig'@'%'");
    expect(mysql_grant_for(1227, "Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this"
                                 " operation", "mig@%"),
           "GRANT SET USER ON *.* TO 'mig'@'%'");
    expect(mysql_grant_for(1419, "You do not have the SUPER privilege and binary logging is enabled (you *might* want to"
                                 " use the less safe log_bin_trust_function_creators variable)", "mig@%"),
           "GRANT SUPER ON *.* TO 'mig'@'%' (or SET GLOBAL log_bin_trust_function_creators = ON)");
    /* 1227 names no account: without CURRENT_USER() there is nothing to grant to. */
    expect(mysql_grant_for(1227, "Access denied; you need (at least one of) the RELOAD privilege(s) for this operation",
                           NULL), NULL);
}

static void
test_databases_and_unknown(void **state)
{
    (void) state;
    expect(mysql_grant_for(1044, "Access denied for user 'mig'@'127.0.0.1' to database '_godwit'", "mig@%"),
           "GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, DROP ON `_godwit`.* TO 'mig'@'%'");
    /* Another database: which privilege is wanted there is not in the message. */
    expect(mysql_grant_for(1044, "Access denied for user 'mig'@'127.0.0.1' to database 'nodb'", "mig@%"), NULL);
    expect(mysql_grant_for(1143, "SELECT command denied to user 'mig'@'127.0.0.1' for column 'secret' in table 't'",
                           "mig@%"), NULL);
    expect(mysql_grant_for(1370, "execute command denied to user 'mig'@'127.0.0.1' for routine 'app.p'", "mig@%"), NULL);
    expect(mysql_grant_for(1142, "garbled", "mig@%"), NULL);
    expect(mysql_grant_for(1142, "SELECT command denied to user 'mig'@'h' for table", NULL), NULL);
    expect(mysql_grant_for(1142, NULL, "mig@%"), NULL);
    expect(mysql_grant_for(1227, "the privilege(s)", "nohost"), NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_commands),
        cmocka_unit_test(test_global_privileges),
        cmocka_unit_test(test_databases_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
