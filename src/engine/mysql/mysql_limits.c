/*
 * mysql_limits.c: the limits of a MySQL column type that its PostgreSQL
 * type does not have, as a CHECK on the target table: a value the
 * application writes on the target after cutover that the source could not
 * hold is refused when it is written, not when failback brings it to the
 * source, where it would stop failback for good.
 *
 *   SET                the members of its definition
 *   unsigned integers  0 up to the type's maximum (PostgreSQL's type is wider)
 *   YEAR               1901 to 2155, or 0
 *   utf8mb3 text       no character beyond U+FFFF (MySQL's utf8 stores three bytes at most)
 *   TINYTEXT, TEXT, MEDIUMTEXT, and their BLOBs: their size in bytes
 *
 * VARCHAR(n) and CHAR(n) count characters on both sides, and ENUM becomes a
 * PostgreSQL enum: nothing to add.  The checks are PostgreSQL's SQL, made on
 * PostgreSQL targets only (ConstraintDef.source_limit).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_types.h"
#include "util/mem.h"
#include "util/strbuf.h"

static const struct {
    const char *data_type;
    const char *max;
} unsigned_max[] = {
    {"tinyint", "255"}, {"smallint", "65535"}, {"mediumint", "16777215"}, {"int", "4294967295"},
    {"bigint", "18446744073709551615"},
};

static const struct {
    const char *data_type;
    const char *bytes;
} sized[] = {
    {"tinytext", "255"}, {"text", "65535"}, {"mediumtext", "16777215"},
    {"tinyblob", "255"}, {"blob", "65535"}, {"mediumblob", "16777215"},
};

static char *
set_members(const char *q, const MyColumn *col)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%s <@ ARRAY[", q);
    for (size_t i = 0; i < col->nlabels; i++) {
        char *lit = str_quote(col->labels[i], '\'');
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", lit);
        free(lit);
    }
    strbuf_append(&sb, "]::text[]");
    return strbuf_take(&sb);
}

char *
mysql_column_limit(const MyColumnSource *src, const MyColumn *col)
{
    char *q = str_quote(src->name, '"');
    char *check = NULL;
    if (col->kind == MYV_SET && col->nlabels > 0)
        check = set_members(q, col);
    else if (col->kind == MYV_UINT)
        for (size_t i = 0; i < sizeof unsigned_max / sizeof *unsigned_max && !check; i++) {
            if (!strcmp(src->data_type, unsigned_max[i].data_type))
                check = gw_asprintf("%s BETWEEN 0 AND %s", q, unsigned_max[i].max);
        }
    else if (col->kind == MYV_YEAR)
        check = gw_asprintf("%s BETWEEN 1901 AND 2155 OR %s = 0", q, q);
    else if (col->kind == MYV_TEXT || col->kind == MYV_BYTES) {
        for (size_t i = 0; i < sizeof sized / sizeof *sized && !check; i++)
            if (!strcmp(src->data_type, sized[i].data_type))
                check = gw_asprintf("octet_length(%s) <= %s", q, sized[i].bytes);
        bool mb3 = col->kind == MYV_TEXT && src->charset &&
                   (!strcmp(src->charset, "utf8mb3") || !strcmp(src->charset, "utf8"));
        if (mb3) {
            char *more = gw_asprintf("%s%s%s !~ '[\\x10000-\\x10FFFF]'", check ? check : "", check ? " AND " : "", q);
            free(check);
            check = more;
        }
    }
    free(q);
    return check;
}
