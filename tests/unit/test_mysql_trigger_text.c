/* Unit tests for a guarded trigger's text (src/engine/mysql/mysql_trigger_text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/mysql/mysql_trigger_text.h"

static void
test_guard_round_trip(void **state)
{
    (void) state;
    const char *bodies[] = {"SET NEW.x = 1", "BEGIN\n  INSERT INTO t VALUES (1);\nEND",
                            "INSERT INTO log VALUES (1) -- ends in a comment", "IF NEW.a THEN SET @b = 1; END IF", ""};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char *g = trigger_guarded_body(bodies[i]);
        assert_non_null(strstr(g, "@godwit_apply"));
        char *back = trigger_unguarded_body(g);
        assert_non_null(back);
        assert_string_equal(back, bodies[i]);
        /* Guarded twice is read back once. */
        char *gg = trigger_guarded_body(g);
        char *once = trigger_unguarded_body(gg);
        assert_string_equal(once, g);
        free(once);
        free(gg);
        free(back);
        free(g);
    }
    assert_null(trigger_unguarded_body("SET NEW.x = 1"));
    assert_null(trigger_unguarded_body("IF IFNULL(@godwit_apply, 0) = 0 THEN\nSET NEW.x = 1"));
}

static void
test_definer(void **state)
{
    (void) state;
    char *d = trigger_definer_sql("root@localhost");
    assert_string_equal(d, "`root`@`localhost`");
    free(d);
    d = trigger_definer_sql("odd@user`x@%");
    assert_string_equal(d, "`odd@user``x`@`%`");
    free(d);
    d = trigger_definer_sql("a_role");
    assert_string_equal(d, "`a_role`");
    free(d);
}

static void
test_create_statement(void **state)
{
    (void) state;
    TriggerDef t = {.name = "upd film", .timing = "AFTER", .event = "UPDATE", .definer = "app@%",
                    .body = "SET @x = 1"};
    char *sql = trigger_create_sql("my db", "film", &t, false);
    assert_string_equal(sql, "CREATE DEFINER=`app`@`%` TRIGGER `my db`.`upd film` AFTER UPDATE ON `my db`.`film`"
                             " FOR EACH ROW SET @x = 1");
    free(sql);
    sql = trigger_create_sql("s", "t", &t, true);
    assert_non_null(strstr(sql, "FOR EACH ROW IF IFNULL(@godwit_apply, 0) = 0 THEN\nSET @x = 1\n; END IF"));
    free(sql);
    t.timing = "INSTEAD OF";
    assert_null(trigger_create_sql("s", "t", &t, false));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_round_trip),
        cmocka_unit_test(test_definer),
        cmocka_unit_test(test_create_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
