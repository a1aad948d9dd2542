/* Unit tests for mysql_ddl_keeps_tables (src/engine/mysql/mysql_ddl_kind.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/mysql/mysql_ddl_kind.h"

static bool
keeps(const char *sql)
{
    return mysql_ddl_keeps_tables(sql, strlen(sql));
}

static void
test_objects_without_rows(void **state)
{
    (void) state;
    assert_true(keeps("CREATE TRIGGER t AFTER INSERT ON film FOR EACH ROW SET @x = 1"));
    assert_true(keeps("CREATE DEFINER=`root`@`localhost` TRIGGER `upd film` AFTER UPDATE ON film FOR EACH ROW BEGIN END"));
    assert_true(keeps("create definer = 'app user'@'%' trigger x before delete on t for each row set @a = 1"));
    assert_true(keeps("DROP TRIGGER IF EXISTS `s`.`t`"));
    assert_true(keeps("  -- a comment\n/* another */ drop view v"));
    assert_true(keeps("CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS"
                      " SELECT 1"));
    assert_true(keeps("ALTER DEFINER=CURRENT_USER() SQL SECURITY INVOKER VIEW v AS SELECT 2"));
    assert_true(keeps("CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN END"));
    assert_true(keeps("CREATE AGGREGATE FUNCTION f(x INT) RETURNS INT BEGIN RETURN 1; END"));
    assert_true(keeps("DROP FUNCTION IF EXISTS f"));
    assert_true(keeps("ALTER EVENT e DISABLE"));
    assert_true(keeps("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"));
    /* As mysqldump writes them, inside version comments. */
    assert_true(keeps("/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER ins AFTER INSERT ON"
                      " film FOR EACH ROW SET @x = 1 */"));
    assert_true(keeps("/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY"
                      " DEFINER */ /*!50001 VIEW `v` AS select 1 AS `1` */"));
}

/* Accounts and maintenance, as MariaDB 10.11 logs them (an operator's GRANT stopped a stream once). */
static void
test_administration(void **state)
{
    (void) state;
    assert_true(keeps("GRANT SELECT, INSERT, UPDATE, DELETE ON gw_cut_my.* TO 'gw_cut_nofence'@'127.0.0.1'"));
    assert_true(keeps("REVOKE TRIGGER ON `app`.* FROM 'mig'@'%'"));
    assert_true(keeps("CREATE USER 'gw_cut_nofence'@'127.0.0.1'"));
    assert_true(keeps("CREATE OR REPLACE USER 'a'@'%' IDENTIFIED BY PASSWORD '*0123'"));
    assert_true(keeps("DROP USER IF EXISTS 'gw_cut_nofence'@'127.0.0.1'"));
    assert_true(keeps("ALTER USER 'a'@'%' ACCOUNT LOCK"));
    assert_true(keeps("RENAME USER 'a'@'%' TO 'b'@'%'"));
    assert_true(keeps("CREATE ROLE r1"));
    assert_true(keeps("DROP ROLE r1"));
    assert_true(keeps("SET PASSWORD FOR 'a'@'%' = PASSWORD('x')"));
    assert_true(keeps("SET DEFAULT ROLE r1 FOR 'a'@'%'"));
    assert_true(keeps("FLUSH PRIVILEGES"));
    assert_true(keeps("ANALYZE TABLE orders"));
    assert_true(keeps("OPTIMIZE TABLE orders"));
    assert_false(keeps("RENAME TABLE users TO u2"));
    assert_false(keeps("SET sql_mode = ''"));
    assert_false(keeps("SET DEFAULT x"));
    assert_false(keeps("GRANTS"));
    assert_false(keeps("CREATE USERS t"));
}

static void
test_tables_and_the_unreadable(void **state)
{
    (void) state;
    assert_false(keeps("CREATE TABLE t (a int)"));
    assert_false(keeps("CREATE OR REPLACE TABLE t (a int)"));
    assert_false(keeps("ALTER TABLE t ADD COLUMN trigger_name int"));
    assert_false(keeps("DROP TABLE view_of_things"));
    assert_false(keeps("TRUNCATE TABLE t"));
    assert_false(keeps("RENAME TABLE a TO b"));
    assert_false(keeps("CREATE DEFINER=`x`@`y` TABLE t (a int)"));
    assert_false(keeps("CREATE TRIGGERS t"));
    assert_false(keeps("DROP VIEWS"));
    assert_false(keeps("CREATE OR TRIGGER t"));
    assert_false(keeps("CREATE SQL TRIGGER t"));
    assert_false(keeps(""));
    assert_false(keeps("/* CREATE TRIGGER t */ CREATE TABLE u (a int)"));
    assert_false(keeps("CREATE INDEX i ON t (a)"));
    assert_false(mysql_ddl_keeps_tables("DROP TRIGGER t", 8));
}

static bool
names(const char *sql, const char *db)
{
    return mysql_ddl_names_database(sql, strlen(sql), db);
}

/* A DDL names a phase's database only by its whole name (test_mysql_replicate's `My Repl archive`). */
static void
test_names_database(void **state)
{
    (void) state;
    assert_true(names("CREATE TABLE app.t (a int)", "app"));
    assert_true(names("create table APP.t (a int)", "app"));
    assert_true(names("DROP DATABASE app", "app"));
    assert_true(names("ALTER TABLE `app`.`t` ADD c int", "app"));
    assert_true(names("CREATE TABLE `My Repl`.t (a int)", "My Repl"));
    assert_true(names("CREATE TABLE `we``ird`.t (a int)", "we`ird"));
    assert_false(names("CREATE TABLE app_old.t (a int)", "app"));
    assert_false(names("CREATE TABLE myapp.t (a int)", "app"));
    assert_false(names("CREATE TABLE `My Repl archive`.t (a int)", "My Repl"));
    assert_false(names("CREATE TABLE `app$x`.t (a int)", "app"));
    assert_false(names("CREATE TABLE other.t (a int)", ""));
}

/* TRUNCATE of one table, as MariaDB logs it: the table named, its database when given. */
static void
expect_truncate(const char *sql, const char *schema, const char *name)
{
    char *s = NULL, *n = NULL;
    bool ok = mysql_ddl_truncated_table(sql, strlen(sql), &s, &n);
    if (!name) {
        assert_false(ok);
        assert_null(s);
        assert_null(n);
        return;
    }
    assert_true(ok);
    if (schema)
        assert_string_equal(s, schema);
    else
        assert_null(s);
    assert_string_equal(n, name);
    free(s);
    free(n);
}

static void
test_truncate(void **state)
{
    (void) state;
    expect_truncate("TRUNCATE TABLE orders", NULL, "orders");
    expect_truncate("truncate orders", NULL, "orders");
    expect_truncate("TRUNCATE TABLE `My Repl`.`Order ``Items```", "My Repl", "Order `Items`");
    expect_truncate("TRUNCATE shop.orders ;", "shop", "orders");
    expect_truncate("/* app */ TRUNCATE TABLE `caf\xc3\xa9`", NULL, "caf\xc3\xa9");
    expect_truncate("TRUNCATE TABLE `shop` . `orders`", "shop", "orders");
    expect_truncate("TRUNCATE TABLE orders, items", NULL, NULL);
    expect_truncate("TRUNCATE TABLE", NULL, NULL);
    expect_truncate("TRUNCATE TABLE shop.", NULL, NULL);
    expect_truncate("TRUNCATE TABLE `unterminated", NULL, NULL);
    expect_truncate("TRUNCATE TABLE ``", NULL, NULL);
    expect_truncate("TRUNCATED t", NULL, NULL);
    expect_truncate("DELETE FROM t", NULL, NULL);
    expect_truncate("TRUNCATE TABLE t PARTITION (p0)", NULL, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects_without_rows),
        cmocka_unit_test(test_administration),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_names_database),
        cmocka_unit_test(test_tables_and_the_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
