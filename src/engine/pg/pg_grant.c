/*
 * pg_grant.c: the GRANT that gives a PostgreSQL user what a refusal
 * (SQLSTATE 42501) says it lacks (pg_grant.h).
 */
#include "engine/pg/pg_grant.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

/*
 * The object a "permission denied for <kind> <name>" message names, quoted
 * as an identifier, or NULL.  The server writes the name as it is (no
 * quotes, no schema): the rest of the line.
 */
static char *
denied_object(const char *message, const char *kind)
{
    char *prefix = gw_asprintf("permission denied for %s ", kind);
    const char *at = strstr(message, prefix);
    size_t skip = strlen(prefix);
    free(prefix);
    if (!at)
        return NULL;
    const char *name = at + skip;
    size_t n = strcspn(name, "\n");
    while (n > 0 && name[n - 1] == ' ')
        n--;
    if (n == 0)
        return NULL;
    char *raw = gw_strndup(name, n);
    char *quoted = str_quote(raw, '"');
    free(raw);
    return quoted;
}

char *
pg_grant_for(const char *message, const char *user, bool writing)
{
    if (!message || !user)
        return NULL;
    char *quoted_user = str_quote(user, '"');
    char *grant = NULL, *object;
    if ((object = denied_object(message, "table")) || (object = denied_object(message, "relation")))
        grant = gw_asprintf("GRANT %s ON TABLE %s TO %s", writing ? "SELECT, INSERT, UPDATE, DELETE" : "SELECT",
                            object, quoted_user);
    else if ((object = denied_object(message, "schema")))
        grant = gw_asprintf("GRANT USAGE%s ON SCHEMA %s TO %s", writing ? ", CREATE" : "", object, quoted_user);
    else if ((object = denied_object(message, "sequence")))
        grant = gw_asprintf("GRANT USAGE, SELECT%s ON SEQUENCE %s TO %s", writing ? ", UPDATE" : "", object,
                            quoted_user);
    else if ((object = denied_object(message, "database")))
        grant = gw_asprintf("GRANT CONNECT, CREATE ON DATABASE %s TO %s", object, quoted_user);
    else if ((object = denied_object(message, "function")))
        grant = gw_asprintf("GRANT EXECUTE ON FUNCTION %s TO %s", object, quoted_user);
    else if (strstr(message, "permission denied to create database"))
        grant = gw_asprintf("ALTER ROLE %s CREATEDB", quoted_user);
    else if (strstr(message, "superuser or replication role") || strstr(message, "REPLICATION attribute"))
        grant = gw_asprintf("ALTER ROLE %s REPLICATION", quoted_user);
    else if (strstr(message, "session_replication_role"))
        grant = gw_asprintf("GRANT SET ON PARAMETER session_replication_role TO %s", quoted_user);
    free(object);
    free(quoted_user);
    return grant;
}
