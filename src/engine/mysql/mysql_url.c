/*
 * mysql_url.c: parsing of mysql:// and mariadb:// URLs (see mysql_url.h).
 * Pure string work: no connection, no environment except MYSQL_PWD; never
 * copies the password into an error message.
 */
#include "engine/mysql/mysql_url.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"
#include "util/mem.h"

/* Percent-decodes s[0..n); NULL when a %XX escape is malformed or decodes to NUL. */
static char *
decode(const char *s, size_t n)
{
    char *out = gw_malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? hex_digit_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_digit_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char) (hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

static int
parse_uint(const char *s, size_t n, unsigned long max, unsigned int *out)
{
    if (n == 0 || n > 10)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char) s[i]))
            return -1;
        v = v * 10 + (unsigned long) (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = (unsigned int) v;
    return 0;
}

/* user[:password] before the last '@' of the authority. */
static int
parse_userinfo(const char *s, size_t n, MyUrl *u, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t) (colon - s) : n;
    if (ulen > 0 && !(u->user = decode(s, ulen))) {
        snprintf(err, errlen, "the user name has a malformed %%-escape");
        return -1;
    }
    if (colon && !(u->password = decode(colon + 1, n - ulen - 1))) {
        snprintf(err, errlen, "the password has a malformed %%-escape");
        return -1;
    }
    return 0;
}

/* host[:port], host may be [IPv6]. */
static int
parse_hostport(const char *s, size_t n, MyUrl *u, char *err, size_t errlen)
{
    const char *port = NULL;
    size_t hlen = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) {
            snprintf(err, errlen, "unterminated '[' in the host");
            return -1;
        }
        u->host = gw_strndup(s + 1, (size_t) (close - s - 1));
        if (close + 1 < s + n) {
            if (close[1] != ':') {
                snprintf(err, errlen, "unexpected text after ']' in the host");
                return -1;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t) (colon - s) : n;
        u->host = gw_strndup(s, hlen);
        port = colon ? colon + 1 : NULL;
    }
    if (port && parse_uint(port, (size_t) (s + n - port), 65535, &u->port) != 0) {
        snprintf(err, errlen, "port '%.*s' is not a number from 1 to 65535", (int) (s + n - port), port);
        return -1;
    }
    if (port && u->port == 0) {
        snprintf(err, errlen, "port 0 is not a number from 1 to 65535");
        return -1;
    }
    if (!*u->host) {
        free(u->host);
        u->host = gw_strdup("localhost");
    }
    return 0;
}

/* Whether key (klen bytes) is name, with '-' and '_' the same. */
static bool
key_is(const char *key, size_t klen, const char *name)
{
    if (strlen(name) != klen)
        return false;
    for (size_t i = 0; i < klen; i++) {
        char a = key[i] == '_' ? '-' : (char) tolower((unsigned char) key[i]);
        if (a != name[i])
            return false;
    }
    return true;
}

static int
parse_ssl_mode(const char *value, MySslMode *out)
{
    static const struct {
        const char *name;
        MySslMode mode;
    } modes[] = {
        {"disabled", MY_SSL_DISABLED}, {"preferred", MY_SSL_PREFERRED}, {"required", MY_SSL_REQUIRED},
        {"verify_ca", MY_SSL_VERIFY_CA}, {"verify_identity", MY_SSL_VERIFY_IDENTITY},
    };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (!strcasecmp(value, modes[i].name)) {
            *out = modes[i].mode;
            return 0;
        }
    return -1;
}

/* The TLS options; 1 when key is none of them. */
static int
parse_ssl_option(const char *key, size_t klen, char **value, MyUrl *u, char *err, size_t errlen)
{
    char **file = key_is(key, klen, "ssl-ca")       ? &u->ssl_ca
                  : key_is(key, klen, "ssl-capath") ? &u->ssl_capath
                  : key_is(key, klen, "ssl-cert")   ? &u->ssl_cert
                  : key_is(key, klen, "ssl-key")    ? &u->ssl_key
                                                    : NULL;
    if (file) {
        free(*file);
        *file = *value;
        *value = NULL;
        return 0;
    }
    if (key_is(key, klen, "ssl-mode")) {
        if (parse_ssl_mode(*value, &u->ssl_mode) == 0)
            return 0;
        snprintf(err, errlen, "ssl-mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY");
        return -1;
    }
    if (key_is(key, klen, "ssl")) {
        bool on = !strcmp(*value, "1") || !strcasecmp(*value, "true");
        if (!on && strcmp(*value, "0") != 0 && strcasecmp(*value, "false") != 0) {
            snprintf(err, errlen, "ssl must be 1 or 0 (or ssl-mode=...)");
            return -1;
        }
        u->ssl_mode = on ? MY_SSL_REQUIRED : MY_SSL_DISABLED;
        return 0;
    }
    return 1;
}

static int
parse_option(const char *s, size_t n, MyUrl *u, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', n);
    size_t klen = eq ? (size_t) (eq - s) : n;
    char *value = eq ? decode(eq + 1, n - klen - 1) : NULL;
    int rc = 0;
    if (!value) {
        snprintf(err, errlen, "option '%.*s' needs a (well-formed) value", (int) klen, s);
        rc = -1;
    } else if (klen == 6 && !strncasecmp(s, "socket", 6)) {
        free(u->socket);
        u->socket = value;
        value = NULL;
    } else if (klen == 8 && !strncasecmp(s, "password", 8)) {
        free(u->password);
        u->password = value;
        value = NULL;
    } else if (klen == 15 && !strncasecmp(s, "connect_timeout", 15)) {
        if (parse_uint(value, strlen(value), 86400, &u->connect_timeout) != 0) {
            snprintf(err, errlen, "connect_timeout must be a number of seconds");
            rc = -1;
        }
    } else if ((rc = parse_ssl_option(s, klen, &value, u, err, errlen)) == 1) {
        snprintf(err, errlen, "unknown option '%.*s' (known: socket, connect_timeout, password, ssl-mode, ssl,"
                 " ssl-ca, ssl-capath, ssl-cert, ssl-key)", (int) klen, s);
        rc = -1;
    }
    free(value);
    return rc;
}

static int
parse_query(const char *q, MyUrl *u, char *err, size_t errlen)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n > 0 && parse_option(q, n, u, err, errlen) != 0)
            return -1;
        q += n;
        if (*q == '&')
            q++;
    }
    return 0;
}

static int
parse_parts(const char *rest, MyUrl *u, char *err, size_t errlen)
{
    size_t alen = strcspn(rest, "/?#");
    const char *at = NULL;
    for (const char *p = rest; p < rest + alen; p++)
        if (*p == '@')
            at = p;
    if (at && parse_userinfo(rest, (size_t) (at - rest), u, err, errlen) != 0)
        return -1;
    const char *hp = at ? at + 1 : rest;
    if (parse_hostport(hp, (size_t) (rest + alen - hp), u, err, errlen) != 0)
        return -1;
    const char *p = rest + alen;
    if (*p == '/') {
        size_t dlen = strcspn(p + 1, "?#");
        if (dlen > 0 && !(u->database = decode(p + 1, dlen))) {
            snprintf(err, errlen, "the database name has a malformed %%-escape");
            return -1;
        }
        if (u->database && strchr(u->database, '/')) {
            snprintf(err, errlen, "the path must be one database name");
            return -1;
        }
        p += 1 + dlen;
    }
    if (*p == '?') {
        size_t qlen = strcspn(p + 1, "#");
        char *q = gw_strndup(p + 1, qlen);
        int rc = parse_query(q, u, err, errlen);
        free(q);
        if (rc)
            return -1;
    }
    return 0;
}

int
mysql_url_parse(const char *url, MyUrl *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *rest = NULL;
    if (!strncasecmp(url, "mysql://", 8))
        rest = url + 8;
    else if (!strncasecmp(url, "mariadb://", 10))
        rest = url + 10;
    if (!rest) {
        snprintf(err, errlen, "expected mysql:// or mariadb://");
        return -1;
    }
    if (parse_parts(rest, out, err, errlen) != 0) {
        mysql_url_free(out);
        return -1;
    }
    if (!out->password && getenv("MYSQL_PWD"))
        out->password = gw_strdup(getenv("MYSQL_PWD"));
    return 0;
}

void
mysql_url_free(MyUrl *u)
{
    free(u->user);
    if (u->password) {
        memset(u->password, 0, strlen(u->password));
        free(u->password);
    }
    free(u->host);
    free(u->database);
    free(u->socket);
    free(u->ssl_ca);
    free(u->ssl_capath);
    free(u->ssl_cert);
    free(u->ssl_key);
    memset(u, 0, sizeof *u);
}
