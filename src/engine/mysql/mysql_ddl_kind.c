/*
 * mysql_ddl_kind.c: reading the head of a DDL statement (mysql_ddl_kind.h).
 * A small tokenizer: comments are skipped (a version comment's text is
 * read as code), words compared without case; an account or a quoted name
 * is one token.
 */
#include "engine/mysql/mysql_ddl_kind.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/strbuf.h"

typedef struct Reader {
    const char *p;
    const char *end;
} Reader;

/* Skips blanks and comments; a version comment's opening and its closing are blanks too. */
static void
skip_blank(Reader *r)
{
    while (r->p < r->end) {
        size_t left = (size_t) (r->end - r->p);
        if (isspace((unsigned char) *r->p)) {
            r->p++;
        } else if (left >= 3 && !strncmp(r->p, "/*!", 3)) {
            r->p += 3;
            while (r->p < r->end && isdigit((unsigned char) *r->p))
                r->p++;
        } else if (left >= 2 && !strncmp(r->p, "/*", 2)) {
            const char *close = NULL;
            for (const char *q = r->p + 2; q + 1 < r->end && !close; q++)
                if (q[0] == '*' && q[1] == '/')
                    close = q;
            r->p = close ? close + 2 : r->end;
        } else if (left >= 2 && !strncmp(r->p, "*/", 2)) {
            r->p += 2;
        } else if (*r->p == '#' || (left >= 3 && !strncmp(r->p, "--", 2) && isspace((unsigned char) r->p[2]))) {
            while (r->p < r->end && *r->p != '\n')
                r->p++;
        } else {
            return;
        }
    }
}

/* Whether the next token is word (a whole word, any case); if so, reads it. */
static bool
take_word(Reader *r, const char *word)
{
    skip_blank(r);
    size_t n = strlen(word);
    if ((size_t) (r->end - r->p) < n || strncasecmp(r->p, word, n) != 0)
        return false;
    if (r->p + n < r->end && (isalnum((unsigned char) r->p[n]) || r->p[n] == '_'))
        return false;
    r->p += n;
    return true;
}

/* Skips one token: a quoted name or string, or a run of characters up to a blank; '@' and '=' join. */
static void
skip_token(Reader *r)
{
    skip_blank(r);
    while (r->p < r->end && !isspace((unsigned char) *r->p)) {
        char quote = *r->p;
        if (quote == '`' || quote == '\'' || quote == '"') {
            const char *q = r->p + 1;
            while (q < r->end && *q != quote)
                q++;
            r->p = q < r->end ? q + 1 : r->end;
        } else if (r->end - r->p >= 2 && !strncmp(r->p, "*/", 2)) {
            return;
        } else {
            r->p++;
        }
    }
}

/* An optional "NAME = value" clause (ALGORITHM, DEFINER). */
static void
skip_assignment(Reader *r, const char *name)
{
    if (!take_word(r, name))
        return;
    skip_blank(r);
    if (r->p < r->end && *r->p == '=')
        r->p++;
    skip_token(r);
}

static bool
object_word(Reader *r)
{
    static const char *const objects[] = {"TRIGGER", "VIEW", "PROCEDURE", "FUNCTION", "EVENT", "USER", "ROLE"};
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++)
        if (take_word(r, objects[i]))
            return true;
    return false;
}

/* Statements about accounts and the server's caches, and table statistics: no row or column changes. */
static bool
administration(Reader *r)
{
    static const char *const heads[] = {"GRANT", "REVOKE", "ANALYZE", "OPTIMIZE", "FLUSH"};
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
        if (take_word(r, heads[i]))
            return true;
    if (take_word(r, "RENAME"))
        return take_word(r, "USER");
    if (take_word(r, "SET"))
        return take_word(r, "PASSWORD") || (take_word(r, "DEFAULT") && take_word(r, "ROLE"));
    return false;
}

bool
mysql_ddl_keeps_tables(const char *sql, size_t len)
{
    Reader r = {.p = sql, .end = sql + len};
    if (administration(&r))
        return true;
    r.p = sql;
    if (take_word(&r, "DROP"))
        return object_word(&r);
    bool create = take_word(&r, "CREATE");
    if (!create && !take_word(&r, "ALTER"))
        return false;
    if (create && take_word(&r, "OR") && !take_word(&r, "REPLACE"))
        return false;
    skip_assignment(&r, "ALGORITHM");
    skip_assignment(&r, "DEFINER");
    if (take_word(&r, "SQL")) {
        if (!take_word(&r, "SECURITY"))
            return false;
        skip_token(&r);
    }
    take_word(&r, "AGGREGATE");
    return object_word(&r);
}

/* A character of an identifier that needs no quotes. */
static bool
identifier_char(char ch)
{
    return isalnum((unsigned char) ch) || ch == '_' || ch == '$' || (unsigned char) ch >= 0x80;
}

bool
mysql_ddl_names_database(const char *sql, size_t len, const char *name)
{
    char *quoted = str_quote(name, '`');
    size_t nq = strlen(quoted), n = strlen(name);
    bool bare = n > 0;
    for (size_t k = 0; k < n; k++)
        bare = bare && identifier_char(name[k]);
    bool named = false;
    for (size_t k = 0; k < len && !named; k++) {
        if (k + nq <= len && !strncasecmp(sql + k, quoted, nq))
            named = true;
        else if (bare && k + n <= len && !strncasecmp(sql + k, name, n))
            named = (k == 0 || !identifier_char(sql[k - 1])) && (k + n == len || !identifier_char(sql[k + n]));
    }
    free(quoted);
    return named;
}

/* One identifier: `quoted` (a doubled backtick is one) or bare; NULL if there is none. */
static char *
take_identifier(Reader *r)
{
    skip_blank(r);
    if (r->p >= r->end)
        return NULL;
    StrBuf id;
    strbuf_init(&id);
    if (*r->p == '`') {
        for (r->p++; r->p < r->end; r->p++) {
            if (*r->p == '`' && (r->p + 1 >= r->end || r->p[1] != '`'))
                break;
            if (*r->p == '`')
                r->p++;
            strbuf_append_char(&id, *r->p);
        }
        if (r->p >= r->end || id.len == 0) {
            strbuf_free(&id);
            return NULL;
        }
        r->p++;
        return strbuf_take(&id);
    }
    while (r->p < r->end && identifier_char(*r->p))
        strbuf_append_char(&id, *r->p++);
    if (id.len == 0) {
        strbuf_free(&id);
        return NULL;
    }
    return strbuf_take(&id);
}

bool
mysql_ddl_truncated_table(const char *sql, size_t len, char **schema, char **name)
{
    Reader r = {.p = sql, .end = sql + len};
    *schema = *name = NULL;
    if (!take_word(&r, "TRUNCATE"))
        return false;
    take_word(&r, "TABLE");
    char *first = take_identifier(&r), *second = NULL;
    skip_blank(&r);
    if (first && r.p < r.end && *r.p == '.') {
        r.p++;
        second = take_identifier(&r);
        if (!second) {
            free(first);
            return false;
        }
    }
    skip_blank(&r);
    if (r.p < r.end && *r.p == ';')
        r.p++;
    skip_blank(&r);
    if (!first || r.p != r.end) {
        free(first);
        free(second);
        return false;
    }
    *schema = second ? first : NULL;
    *name = second ? second : first;
    return true;
}
