/*
 * mysql_identity.c: the identity of a MySQL/MariaDB source database
 * (engine.h, source_identity): which server, and which database of it.
 *
 * MySQL gives each server a uuid of its own (@@server_uuid, kept in its data
 * directory).  MariaDB has none: it is named by its host name and port, which
 * stay the same across restarts and upgrades of one server.  A uuid stored
 * on the server by godwit would need a write on a source that fetch may only
 * read, before any check could refuse.  The price: moving a MariaDB source to
 * another host or port makes every later command refuse it as another source
 * (naming both), which is the safe way to be wrong.
 */
#include <stdlib.h>

#include "engine/mysql/mysql_internal.h"
#include "util/mem.h"

GwResult
mysql_source_identity(EngineConn *conn, char **identity)
{
    MyConn *c = MY(conn);
    const char *sql = c->mariadb ? "SELECT 'mariadb', CONCAT(@@hostname, ':', @@port), IFNULL(DATABASE(), '')"
                                 : "SELECT 'mysql', @@server_uuid, IFNULL(DATABASE(), '')";
    MYSQL_RES *res;
    GwResult rc = mysql_conn_query(c, sql, 3, &res);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0] && row[1] && row[2])
        *identity = gw_asprintf("%s:%s/%s", row[0], row[1], row[2]);
    else
        rc = mysql_conn_report(c, "reading the server's identity");
    mysql_free_result(res);
    return rc;
}
