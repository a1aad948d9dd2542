/*
 * url.c: URL scheme detection and password redaction.
 *
 * Redaction covers the userinfo password (scheme://user:pw@host) and a
 * "password=" query parameter, the two places libpq and MariaDB accept one.
 */
#include "util/url.h"

#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/strbuf.h"

UrlScheme
url_scheme(const char *url)
{
    if (!strncasecmp(url, "postgres://", 11) || !strncasecmp(url, "postgresql://", 13))
        return URL_SCHEME_POSTGRES;
    if (!strncasecmp(url, "mysql://", 8) || !strncasecmp(url, "mariadb://", 10))
        return URL_SCHEME_MYSQL;
    return URL_SCHEME_UNKNOWN;
}

static void
redact_query_password(StrBuf *sb, const char *query)
{
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t) (end - p) : strlen(p);
        if (len >= 9 && !strncasecmp(p, "password=", 9))
            strbuf_append(sb, "password=***");
        else
            strbuf_append_n(sb, p, len);
        if (!end)
            break;
        strbuf_append_char(sb, '&');
        p = end + 1;
    }
}

char *
url_redact(const char *url)
{
    StrBuf sb;
    strbuf_init(&sb);
    const char *scheme_end = strstr(url, "://");
    const char *rest = url;
    if (scheme_end) {
        rest = scheme_end + 3;
        strbuf_append_n(&sb, url, (size_t) (rest - url));
        /* userinfo ends at the last '@' before the path: passwords may contain '@'. */
        size_t auth_len = strcspn(rest, "/?#");
        const char *at = NULL;
        for (const char *q = rest; q < rest + auth_len; q++)
            if (*q == '@')
                at = q;
        if (at) {
            const char *colon = memchr(rest, ':', (size_t) (at - rest));
            if (colon) {
                strbuf_append_n(&sb, rest, (size_t) (colon - rest));
                strbuf_append(&sb, ":***");
            } else {
                strbuf_append_n(&sb, rest, (size_t) (at - rest));
            }
            rest = at;
        }
    }
    const char *q = strchr(rest, '?');
    if (q) {
        strbuf_append_n(&sb, rest, (size_t) (q - rest + 1));
        redact_query_password(&sb, q + 1);
    } else {
        strbuf_append(&sb, rest);
    }
    return strbuf_take(&sb);
}
