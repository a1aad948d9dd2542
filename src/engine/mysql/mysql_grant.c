/*
 * mysql_grant.c: the GRANT a MySQL/MariaDB privilege refusal asks for
 * (mysql_grant.h).  The messages are the servers' (MariaDB 10.11's
 * errmsg-utf8.txt, MySQL 8's): the command and the table, the database, or
 * the privileges the operation needs.
 */
#include "engine/mysql/mysql_grant.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

/* 'text' with its quotes doubled. */
static void
append_quoted(StrBuf *b, const char *text, size_t n, char quote)
{
    strbuf_append_char(b, quote);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == quote)
            strbuf_append_char(b, quote);
        strbuf_append_char(b, text[i]);
    }
    strbuf_append_char(b, quote);
}

/* user@host (CURRENT_USER()'s form; the host is after the last @) as 'user'@'host'. */
static char *
account_sql(const char *account)
{
    const char *at = strrchr(account, '@');
    if (!at)
        return NULL;
    StrBuf b;
    strbuf_init(&b);
    append_quoted(&b, account, (size_t) (at - account), '\'');
    strbuf_append_char(&b, '@');
    append_quoted(&b, at + 1, strlen(at + 1), '\'');
    return strbuf_take(&b);
}

/* The account a message names, "to user 'u'@'h'" or "for user 'u'@'h'", as 'u'@'h'. */
static char *
message_account(const char *message)
{
    const char *at = strstr(message, " user '");
    if (!at)
        return NULL;
    at += strlen(" user ");
    const char *end = strstr(at, "' ");
    if (!end || !strstr(at, "'@'") || strstr(at, "'@'") > end)
        return NULL;
    return gw_strndup(at, (size_t) (end + 1 - at));
}

/* The table of "... for table `db`.`t`" (as it is) or "... for table 't'" (quoted with backticks). */
static char *
message_table(const char *message)
{
    const char *at = strstr(message, " for table ");
    if (!at)
        return NULL;
    at += strlen(" for table ");
    size_t n = strlen(at);
    while (n > 0 && (at[n - 1] == '\n' || at[n - 1] == ' '))
        n--;
    if (n >= 2 && at[0] == '`' && at[n - 1] == '`')
        return gw_strndup(at, n);
    if (n >= 2 && at[0] == '\'' && at[n - 1] == '\'') {
        StrBuf b;
        strbuf_init(&b);
        append_quoted(&b, at + 1, n - 2, '`');
        return strbuf_take(&b);
    }
    return NULL;
}

/* "X command denied": X, as the server wrote it. */
static char *
message_command(const char *message)
{
    const char *end = strstr(message, " command denied");
    return end && end > message ? gw_strndup(message, (size_t) (end - message)) : NULL;
}

/* The least of "the A, B privilege(s)": the last one that is not SUPER, or SUPER. */
static char *
message_needed(const char *message)
{
    const char *at = strstr(message, "the ");
    const char *end = strstr(message, " privilege(s)");
    if (!at || !end || end < at)
        return NULL;
    at += strlen("the ");
    char *list = gw_strndup(at, (size_t) (end - at));
    char *pick = NULL;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        p += strspn(p, " ");
        if (!pick || strcmp(p, "SUPER") != 0) {
            free(pick);
            pick = gw_strdup(p);
        }
    }
    free(list);
    return pick;
}

/* "to database 'd'": d as `d`. */
static char *
message_database(const char *message)
{
    const char *at = strstr(message, " to database '");
    if (!at)
        return NULL;
    at += strlen(" to database '");
    const char *end = strrchr(at, '\'');
    if (!end)
        return NULL;
    StrBuf b;
    strbuf_init(&b);
    append_quoted(&b, at, (size_t) (end - at), '`');
    return strbuf_take(&b);
}

char *
mysql_grant_for(unsigned int errnum, const char *message, const char *account)
{
    if (!message)
        return NULL;
    char *to = account ? account_sql(account) : message_account(message);
    if (!to)
        return NULL;
    char *grant = NULL, *what = NULL, *on = NULL;
    switch (errnum) {
    case 1142: /* ER_TABLEACCESS_DENIED_ERROR */
        what = message_command(message);
        on = message_table(message);
        if (what && on)
            grant = gw_asprintf("GRANT %s ON %s TO %s", what, on, to);
        break;
    case 1227: /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
        what = message_needed(message);
        if (what)
            grant = gw_asprintf("GRANT %s ON *.* TO %s", what, to);
        break;
    case 1044: /* ER_DBACCESS_DENIED_ERROR: only godwit's own database says what it needs there */
        on = message_database(message);
        if (on && !strcmp(on, "`_godwit`"))
            grant = gw_asprintf("GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, DROP ON `_godwit`.* TO %s", to);
        break;
    case 1419: /* ER_BINLOG_CREATE_ROUTINE_NEED_SUPER */
        grant = gw_asprintf("GRANT SUPER ON *.* TO %s (or SET GLOBAL log_bin_trust_function_creators = ON)", to);
        break;
    default:
        break;
    }
    free(what);
    free(on);
    free(to);
    return grant;
}
