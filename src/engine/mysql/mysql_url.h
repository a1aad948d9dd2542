/*
 * mysql_url.h: mysql:// and mariadb:// endpoint URLs, taken apart for
 * Connector/C.
 *
 *   mysql://[user[:password]@]host[:port][/database][?option=value&...]
 *
 * host may be a name, an IPv4 address or [an IPv6 address]; an empty host is
 * "localhost" (Connector/C then uses the Unix socket).  user, password and
 * database are percent-decoded.  Options: socket=PATH, connect_timeout=SECONDS,
 * password=PASSWORD.  Without a password in the URL, MYSQL_PWD is used.
 * Error messages never contain the password.
 */
#ifndef GW_MYSQL_URL_H
#define GW_MYSQL_URL_H

#include <stddef.h>

typedef struct MyUrl {
    char *user;             /* NULL: Connector/C's default (the login name) */
    char *password;         /* NULL: none given */
    char *host;
    unsigned int port;      /* 0: the default (3306) */
    char *database;         /* NULL: every database */
    char *socket;
    unsigned int connect_timeout;   /* seconds; 0: not given */
} MyUrl;

/* Returns 0, or -1 with a one-line reason in err. */
int mysql_url_parse(const char *url, MyUrl *out, char *err, size_t errlen);
void mysql_url_free(MyUrl *u);

#endif
