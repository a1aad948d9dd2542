/*
 * mysql_privileges.c: what the session's user may do, read from
 * information_schema: its own grants and those of its enabled roles.
 * information_schema shows a user only its own grants, which is what is
 * asked here; a wildcard schema grant (`app%`.*) is matched as the server
 * matches it, with LIKE.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_internal.h"
#include "util/mem.h"

/* The condition on GRANTEE naming the user or one of its enabled roles. */
static char *
grantee_is_me(const MyConn *c)
{
    const char *roles = c->mariadb ? "SELECT CONCAT('''', ROLE_NAME, '''') FROM information_schema.ENABLED_ROLES"
                                   : "SELECT CONCAT('''', ROLE_NAME, '''@''', ROLE_HOST, '''')"
                                     " FROM information_schema.ENABLED_ROLES";
    return gw_asprintf("(GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
                       " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') OR GRANTEE IN (%s))",
                       roles);
}

GwResult
mysql_privileges_global(MyConn *c, StrBuf *list)
{
    char *me = grantee_is_me(c);
    char *sql = gw_asprintf("SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE %s", me);
    free(me);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    strbuf_append_char(list, '|');
    while ((row = mysql_fetch_row(res)))
        if (row[0])
            strbuf_appendf(list, "%s|", row[0]);
    mysql_free_result(res);
    return GW_OK;
}

bool
mysql_privilege_listed(const StrBuf *list, const char *privilege)
{
    char *needle = gw_asprintf("|%s|", privilege);
    bool found = strstr(list->data, needle) != NULL;
    free(needle);
    return found;
}

GwResult
mysql_privilege_on_table(MyConn *c, const StrBuf *global, const char *privilege, const char *schema,
                         const char *table, bool *granted)
{
    *granted = mysql_privilege_listed(global, privilege);
    if (*granted)
        return GW_OK;
    char *me = grantee_is_me(c);
    char *p = mysql_quote_literal(privilege), *s = mysql_quote_literal(schema), *t = mysql_quote_literal(table);
    char *sql = gw_asprintf("SELECT (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES WHERE %s"
                            " AND PRIVILEGE_TYPE = %s AND %s LIKE TABLE_SCHEMA)"
                            " + (SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE %s"
                            " AND PRIVILEGE_TYPE = %s AND TABLE_SCHEMA = %s AND TABLE_NAME = %s)",
                            me, p, s, me, p, s, t);
    free(me);
    free(p);
    free(s);
    free(t);
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 1, &res);
    free(sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    *granted = row && row[0] && strtol(row[0], NULL, 10) > 0;
    mysql_free_result(res);
    return GW_OK;
}
