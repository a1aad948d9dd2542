/*
 * mysql_trigger_text.c: a trigger's guarded body and its CREATE statement
 * (mysql_trigger_text.h).
 *
 * The body goes between a head and a tail that no body of the application
 * ends or starts with by chance: the tail starts with a newline, so that a
 * body ending in a `-- comment` still ends before it, and the original is
 * read back by cutting both off.
 */
#include "engine/mysql/mysql_trigger_text.h"

#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_conn.h"
#include "util/mem.h"

#define GUARD_HEAD "IF IFNULL(@godwit_apply, 0) = 0 THEN\n"
#define GUARD_TAIL "\n; END IF"

void
trigger_def_free(TriggerDef *d)
{
    free(d->name);
    free(d->timing);
    free(d->event);
    free(d->definer);
    free(d->sql_mode);
    free(d->charset);
    free(d->collation);
    free(d->body);
}

char *
trigger_guarded_body(const char *body)
{
    return gw_asprintf("%s%s%s", GUARD_HEAD, body, GUARD_TAIL);
}

char *
trigger_unguarded_body(const char *body)
{
    size_t n = strlen(body), head = strlen(GUARD_HEAD), tail = strlen(GUARD_TAIL);
    if (n < head + tail || strncmp(body, GUARD_HEAD, head) != 0 || strcmp(body + n - tail, GUARD_TAIL) != 0)
        return NULL;
    return gw_strndup(body + head, n - head - tail);
}

char *
trigger_definer_sql(const char *definer)
{
    const char *at = strrchr(definer, '@');
    char *user = gw_strndup(definer, at ? (size_t) (at - definer) : strlen(definer));
    char *qu = mysql_quote_ident(user);
    /* A MariaDB role has no host. */
    char *qh = at && at[1] ? mysql_quote_ident(at + 1) : NULL;
    char *sql = qh ? gw_asprintf("%s@%s", qu, qh) : gw_strdup(qu);
    free(user);
    free(qu);
    free(qh);
    return sql;
}

static bool
one_of(const char *word, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(word, *words))
            return true;
    return false;
}

char *
trigger_create_sql(const char *schema, const char *table, const TriggerDef *d, bool guarded)
{
    static const char *const timings[] = {"BEFORE", "AFTER", NULL};
    static const char *const events[] = {"INSERT", "UPDATE", "DELETE", NULL};
    if (!one_of(d->timing, timings) || !one_of(d->event, events))
        return NULL;
    char *definer = trigger_definer_sql(d->definer);
    char *name = mysql_qualified(schema, d->name);
    char *on = mysql_qualified(schema, table);
    char *body = guarded ? trigger_guarded_body(d->body) : gw_strdup(d->body);
    char *sql = gw_asprintf("CREATE DEFINER=%s TRIGGER %s %s %s ON %s FOR EACH ROW %s", definer, name, d->timing,
                            d->event, on, body);
    free(definer);
    free(name);
    free(on);
    free(body);
    return sql;
}
