/*
 * mysql_url.h: mysql:// and mariadb:// endpoint URLs, taken apart for
 * Connector/C.
 *
 *   mysql://[user[:password]@]host[:port][/database][?option=value&...]
 *
 * host may be a name, an IPv4 address or [an IPv6 address]; an empty host is
 * "localhost" (Connector/C then uses the Unix socket).  user, password and
 * database are percent-decoded.  Options: socket=PATH, connect_timeout=SECONDS,
 * password=PASSWORD, and TLS in the client's terms: ssl-mode (DISABLED,
 * PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY; ssl=1 is REQUIRED, ssl=0
 * DISABLED), ssl-ca, ssl-capath, ssl-cert, ssl-key (files), each also
 * spelled with an underscore.  Without a password in the URL, MYSQL_PWD is
 * used.  Error messages never contain the password.
 */
#ifndef GW_MYSQL_URL_H
#define GW_MYSQL_URL_H

#include <stddef.h>

/* How a session uses TLS (the mysql client's --ssl-mode). */
typedef enum MySslMode {
    MY_SSL_DEFAULT,         /* not said: Connector/C's own default (TLS when a CA or certificate is given) */
    MY_SSL_DISABLED,
    MY_SSL_PREFERRED,
    MY_SSL_REQUIRED,        /* encrypted, the server's certificate not checked */
    MY_SSL_VERIFY_CA,       /* and checked against the CA (Connector/C checks the host name with it) */
    MY_SSL_VERIFY_IDENTITY,
} MySslMode;

typedef struct MyUrl {
    char *user;             /* NULL: Connector/C's default (the login name) */
    char *password;         /* NULL: none given */
    char *host;
    unsigned int port;      /* 0: the default (3306) */
    char *database;         /* NULL: every database */
    char *socket;
    unsigned int connect_timeout;   /* seconds; 0: not given */
    MySslMode ssl_mode;
    char *ssl_ca;           /* files; NULL: not given */
    char *ssl_capath;
    char *ssl_cert;
    char *ssl_key;
} MyUrl;

/* Returns 0, or -1 with a one-line reason in err. */
int mysql_url_parse(const char *url, MyUrl *out, char *err, size_t errlen);
void mysql_url_free(MyUrl *u);

#endif
