/*
 * mysql_types.c: THE type mapping of MySQL/MariaDB columns (one table,
 * type_rules below, copied word for word into the README), the built-in
 * PostgreSQL types a MySQL catalog uses, --type-map type names, and the
 * phase's source options.
 *
 * It must never map a type whose values it cannot write exactly in the
 * canonical form of mysql_column.h: such types (spatial types, MariaDB's
 * UUID/INET types, ...) are refused before anything happens, naming the
 * table and the column.
 */
#include "engine/mysql/mysql_types.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

typedef enum RuleSign { ANY_SIGN, SIGNED_ONLY, UNSIGNED_ONLY } RuleSign;

/*
 * One row of the mapping.  pg is the PostgreSQL type; %n stands for the
 * length (CHAR(n), VARCHAR(n), BIT(n)), %p and %s for DECIMAL's precision and
 * scale, %f for the fractional seconds digits.  An ENUM's type is made per
 * column by describe ("<table>_<column>" in the table's schema).
 */
typedef struct TypeRule {
    const char *mysql;          /* DATA_TYPE; "tinyint(1)" matches that COLUMN_TYPE */
    RuleSign sign;
    MyValueKind kind;
    const char *pg;
    MySelect select;
} TypeRule;

static const TypeRule type_rules[] = {
    {"tinyint(1)", ANY_SIGN, MYV_BOOL, "boolean", MYSEL_PLAIN},    /* BOOLEAN; 0/1 only */
    {"tinyint", SIGNED_ONLY, MYV_INT, "smallint", MYSEL_PLAIN},
    {"tinyint", UNSIGNED_ONLY, MYV_UINT, "smallint", MYSEL_PLAIN},
    {"smallint", SIGNED_ONLY, MYV_INT, "smallint", MYSEL_PLAIN},
    {"smallint", UNSIGNED_ONLY, MYV_UINT, "integer", MYSEL_PLAIN},
    {"mediumint", SIGNED_ONLY, MYV_INT, "integer", MYSEL_PLAIN},
    {"mediumint", UNSIGNED_ONLY, MYV_UINT, "integer", MYSEL_PLAIN},
    {"int", SIGNED_ONLY, MYV_INT, "integer", MYSEL_PLAIN},
    {"int", UNSIGNED_ONLY, MYV_UINT, "bigint", MYSEL_PLAIN},
    {"bigint", SIGNED_ONLY, MYV_INT, "bigint", MYSEL_PLAIN},
    {"bigint", UNSIGNED_ONLY, MYV_UINT, "numeric(20,0)", MYSEL_PLAIN},   /* --unsigned-bigint int8: bigint */
    {"decimal", ANY_SIGN, MYV_DECIMAL, "numeric(%p,%s)", MYSEL_PLAIN},
    {"float", ANY_SIGN, MYV_FLOAT, "real", MYSEL_DOUBLE},
    {"double", ANY_SIGN, MYV_DOUBLE, "double precision", MYSEL_PLAIN},
    {"bit", ANY_SIGN, MYV_BIT, "bit(%n)", MYSEL_PLAIN},
    {"char", ANY_SIGN, MYV_TEXT, "character(%n)", MYSEL_PLAIN},
    {"varchar", ANY_SIGN, MYV_TEXT, "character varying(%n)", MYSEL_PLAIN},
    {"tinytext", ANY_SIGN, MYV_TEXT, "text", MYSEL_PLAIN},
    {"text", ANY_SIGN, MYV_TEXT, "text", MYSEL_PLAIN},
    {"mediumtext", ANY_SIGN, MYV_TEXT, "text", MYSEL_PLAIN},
    {"longtext", ANY_SIGN, MYV_TEXT, "text", MYSEL_PLAIN},
    {"binary", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"varbinary", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"tinyblob", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"blob", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"mediumblob", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"longblob", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN},
    {"date", ANY_SIGN, MYV_DATE, "date", MYSEL_PLAIN},
    {"datetime", ANY_SIGN, MYV_DATETIME, "timestamp(%f) without time zone", MYSEL_PLAIN},
    {"timestamp", ANY_SIGN, MYV_TIMESTAMP, "timestamp(%f) with time zone", MYSEL_PLAIN},
    {"time", ANY_SIGN, MYV_TIME, "interval", MYSEL_PLAIN},      /* beyond 24 h and negative */
    {"year", ANY_SIGN, MYV_YEAR, "smallint", MYSEL_NUMBER},     /* YEAR 0000 is 0 */
    {"enum", ANY_SIGN, MYV_ENUM, NULL, MYSEL_NUMBER},            /* enum type "<table>_<column>" */
    {"set", ANY_SIGN, MYV_SET, "text[]", MYSEL_NUMBER},
    {"json", ANY_SIGN, MYV_JSON, "jsonb", MYSEL_PLAIN},          /* MariaDB: LONGTEXT + json_valid() */
};

/* The built-in PostgreSQL types a MySQL catalog may hold (OIDs are fixed in PostgreSQL). */
static const PgTypeInfo pg_types[] = {
    {16, "bool", "boolean", 'B', 0},
    {17, "bytea", "bytea", 'U', 0},
    {20, "int8", "bigint", 'N', 0},
    {21, "int2", "smallint", 'N', 0},
    {23, "int4", "integer", 'N', 0},
    {25, "text", "text", 'S', 0},
    {114, "json", "json", 'U', 0},
    {700, "float4", "real", 'N', 0},
    {701, "float8", "double precision", 'N', 0},
    {1009, "_text", "text[]", 'A', 25},
    {1042, "bpchar", "character", 'S', 0},
    {1043, "varchar", "character varying", 'S', 0},
    {1082, "date", "date", 'D', 0},
    {1083, "time", "time without time zone", 'D', 0},
    {1114, "timestamp", "timestamp without time zone", 'D', 0},
    {1184, "timestamptz", "timestamp with time zone", 'D', 0},
    {1186, "interval", "interval", 'T', 0},
    {1560, "bit", "bit", 'V', 0},
    {1562, "varbit", "bit varying", 'V', 0},
    {1700, "numeric", "numeric", 'N', 0},
    {2950, "uuid", "uuid", 'U', 0},
    {3802, "jsonb", "jsonb", 'U', 0},
};

/* Type names an operator may write in --type-map, and the OID each names. */
typedef struct PgAlias {
    const char *name;
    uint32_t oid;
} PgAlias;

static const PgAlias pg_aliases[] = {
    {"boolean", 16}, {"bool", 16}, {"smallint", 21}, {"int2", 21}, {"integer", 23}, {"int", 23}, {"int4", 23},
    {"bigint", 20}, {"int8", 20}, {"numeric", 1700}, {"decimal", 1700}, {"real", 700}, {"float4", 700},
    {"double precision", 701}, {"float8", 701}, {"float", 701}, {"text", 25}, {"character varying", 1043},
    {"varchar", 1043}, {"character", 1042}, {"char", 1042}, {"bpchar", 1042}, {"bytea", 17}, {"date", 1082},
    {"time", 1083}, {"time without time zone", 1083}, {"timestamp", 1114},
    {"timestamp without time zone", 1114}, {"timestamptz", 1184}, {"timestamp with time zone", 1184},
    {"interval", 1186}, {"json", 114}, {"jsonb", 3802}, {"uuid", 2950}, {"bit", 1560}, {"bit varying", 1562},
    {"varbit", 1562}, {"text[]", 1009},
};

const PgTypeInfo *
mysql_pg_type_info(uint32_t oid)
{
    for (size_t i = 0; i < sizeof pg_types / sizeof pg_types[0]; i++)
        if (pg_types[i].oid == oid)
            return &pg_types[i];
    return NULL;
}

/* "(a,b)" in s is cut out into args (without the parentheses); false when unbalanced. */
static bool
cut_modifiers(char *s, char *args, size_t argslen)
{
    args[0] = '\0';
    char *open = strchr(s, '(');
    if (!open)
        return !strchr(s, ')');
    char *close = strchr(open, ')');
    if (!close || (size_t) (close - open) >= argslen || strchr(close + 1, '(') || strchr(close + 1, ')'))
        return false;
    memcpy(args, open + 1, (size_t) (close - open - 1));
    args[close - open - 1] = '\0';
    memmove(open, close + 1, strlen(close + 1) + 1);
    return true;
}

/* Lower case, single spaces, no space before '(' or '[', none at the ends. */
static char *
squeeze(const char *text)
{
    StrBuf sb;
    strbuf_init(&sb);
    bool space = false;
    for (const char *p = text; *p; p++) {
        if (isspace((unsigned char) *p)) {
            space = sb.len > 0;
            continue;
        }
        if (space && *p != '(' && *p != '[' && *p != ')' && *p != ',' && sb.data[sb.len - 1] != '(' &&
            sb.data[sb.len - 1] != ',')
            strbuf_append_char(&sb, ' ');
        space = false;
        strbuf_append_char(&sb, (char) tolower((unsigned char) *p));
    }
    return strbuf_take(&sb);
}

/* "20" or "20,0" (digits and at most one comma), empty allowed. */
static bool
modifiers_valid(const char *args, int max_numbers)
{
    int numbers = *args ? 1 : 0;
    for (const char *p = args; *p; p++) {
        if (*p == ',') {
            if (p == args || !p[1] || !isdigit((unsigned char) p[1]))
                return false;
            numbers++;
        } else if (!isdigit((unsigned char) *p)) {
            return false;
        }
    }
    return numbers <= max_numbers;
}

/* The format_type() spelling of a known OID with the modifiers as written. */
static char *
spell_type(uint32_t oid, const char *args)
{
    switch (oid) {
    case 1700:
        if (!*args)
            return gw_strdup("numeric");
        return strchr(args, ',') ? gw_asprintf("numeric(%s)", args) : gw_asprintf("numeric(%s,0)", args);
    case 1043: return *args ? gw_asprintf("character varying(%s)", args) : gw_strdup("character varying");
    case 1042: return gw_asprintf("character(%s)", *args ? args : "1");
    case 1560: return gw_asprintf("bit(%s)", *args ? args : "1");
    case 1562: return *args ? gw_asprintf("bit varying(%s)", args) : gw_strdup("bit varying");
    case 1083: return *args ? gw_asprintf("time(%s) without time zone", args) : gw_strdup("time without time zone");
    case 1114:
        return *args ? gw_asprintf("timestamp(%s) without time zone", args) : gw_strdup("timestamp without time zone");
    case 1184: return *args ? gw_asprintf("timestamp(%s) with time zone", args) : gw_strdup("timestamp with time zone");
    case 1186: return *args ? gw_asprintf("interval(%s)", args) : gw_strdup("interval");
    default: return *args ? NULL : gw_strdup(mysql_pg_type_info(oid)->sql);
    }
}

char *
mysql_pg_type_normalize(const char *text, uint32_t *oid)
{
    char *s = squeeze(text);
    char args[64];
    char *out = NULL;
    if (cut_modifiers(s, args, sizeof args)) {
        char *base = squeeze(s);
        for (size_t i = 0; i < sizeof pg_aliases / sizeof pg_aliases[0] && !out; i++) {
            if (strcmp(base, pg_aliases[i].name) != 0)
                continue;
            uint32_t id = pg_aliases[i].oid;
            if (modifiers_valid(args, id == 1700 ? 2 : 1))
                out = spell_type(id, args);
            if (out)
                *oid = id;
        }
        free(base);
    }
    free(s);
    return out;
}

/* Un-escapes one label of an ENUM/SET COLUMN_TYPE: '' is a quote; \n, \r, \0, \\ as the server writes them. */
static const char *
parse_label(const char *p, StrBuf *out)
{
    for (;;) {
        if (!*p)
            return NULL;
        if (*p == '\'' && p[1] == '\'') {
            strbuf_append_char(out, '\'');
            p += 2;
        } else if (*p == '\'') {
            return p + 1;
        } else if (*p == '\\' && p[1]) {
            char c = p[1] == 'n' ? '\n' : p[1] == 'r' ? '\r' : p[1] == '0' ? '\0' : p[1];
            if (c == '\0')
                return NULL;
            strbuf_append_char(out, c);
            p += 2;
        } else {
            strbuf_append_char(out, *p++);
        }
    }
}

int
mysql_parse_labels(const char *column_type, char ***labels, size_t *nlabels)
{
    *labels = NULL;
    *nlabels = 0;
    const char *p = strchr(column_type, '(');
    if (!p)
        return -1;
    p++;
    while (*p == '\'') {
        StrBuf sb;
        strbuf_init(&sb);
        p = parse_label(p + 1, &sb);
        *labels = gw_realloc(*labels, (*nlabels + 1) * sizeof **labels);
        (*labels)[(*nlabels)++] = strbuf_take(&sb);
        if (!p)
            return -1;
        if (*p == ',')
            p++;
        else if (*p == ')')
            return 0;
        else
            return -1;
    }
    return -1;
}

static const TypeRule *
find_rule(const MyColumnSource *src)
{
    const char *dt = src->is_json ? "json" : src->data_type;
    bool is_unsigned = strstr(src->column_type, "unsigned") != NULL;
    bool is_bool = !strncmp(src->column_type, "tinyint(1)", 10);
    for (size_t i = 0; i < sizeof type_rules / sizeof type_rules[0]; i++) {
        const TypeRule *r = &type_rules[i];
        bool name_ok = !strcmp(r->mysql, "tinyint(1)") ? is_bool : !strcmp(r->mysql, dt);
        bool sign_ok = r->sign == ANY_SIGN || (r->sign == UNSIGNED_ONLY) == is_unsigned;
        if (name_ok && sign_ok)
            return r;
    }
    return NULL;
}

/* Expands %n, %p, %s, %f of a rule's PostgreSQL type. */
static char *
expand_pg(const char *tmpl, const MyColumnSource *src)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%' || !p[1]) {
            strbuf_append_char(&sb, *p);
            continue;
        }
        p++;
        long long v = *p == 'n' ? (src->char_length >= 0 ? src->char_length : src->precision)
                      : *p == 'p' ? src->precision
                      : *p == 's' ? src->scale
                                  : src->fsp;
        strbuf_appendf(&sb, "%lld", v < 0 ? 0 : v);
    }
    return strbuf_take(&sb);
}

static bool
charset_of(const char *name, MyCharset *out)
{
    static const char *const utf8[] = {"utf8mb4", "utf8mb3", "utf8", "ascii", NULL};
    for (size_t i = 0; utf8[i]; i++)
        if (!strcmp(name, utf8[i])) {
            *out = MYCS_UTF8;
            return true;
        }
    if (!strcmp(name, "latin1"))
        *out = MYCS_LATIN1;
    else if (!strcmp(name, "binary"))
        *out = MYCS_BINARY;
    else
        return false;
    return true;
}

/* The type as a rule gives it: kind, lengths, labels, PostgreSQL type. */
static GwResult
map_by_rule(const MyColumnSource *src, const TypeRule *r, const MyOptions *opts, MyColumn *col, MyPgType *pg)
{
    col->kind = r->kind;
    col->charset = r->kind == MYV_BYTES ? MYCS_BINARY : MYCS_UTF8;
    col->length = r->kind == MYV_BIT ? src->precision : (int) (src->char_length > 0 ? src->char_length : 0);
    col->precision = src->precision > 0 ? src->precision : 0;
    col->scale = r->kind == MYV_DECIMAL ? (src->scale > 0 ? src->scale : 0) : (src->fsp > 0 ? src->fsp : 0);
    col->zero_dates_null = opts->zero_dates_null;
    pg->select = r->select;
    /* ZEROFILL columns print leading zeros: col+0 gives the plain number. */
    if (strstr(src->column_type, "zerofill") && (r->kind == MYV_INT || r->kind == MYV_UINT || r->kind == MYV_DECIMAL))
        pg->select = MYSEL_NUMBER;
    if ((r->kind == MYV_ENUM || r->kind == MYV_SET) &&
        mysql_parse_labels(src->column_type, &col->labels, &col->nlabels) != 0) {
        log_error("source table %s.%s, column %s: cannot read the labels of %s", src->schema, src->table, src->name,
                  src->column_type);
        return GW_ERR_SOURCE;
    }
    if ((r->kind == MYV_TEXT || r->kind == MYV_JSON) && src->charset && !charset_of(src->charset, &col->charset)) {
        log_error("source table %s.%s, column %s: character set %s is not supported (utf8mb4, utf8mb3, ascii,"
                  " latin1 and binary are; convert the column, or --exclude the table)", src->schema, src->table,
                  src->name, src->charset);
        return GW_ERR_USAGE;
    }
    if (r->kind == MYV_ENUM) {
        pg->is_enum = true;
        return GW_OK;
    }
    bool no_length = (r->kind == MYV_TEXT && strstr(r->pg, "%n") && src->char_length <= 0);
    bool as_int8 = r->kind == MYV_UINT && !strcmp(r->mysql, "bigint") && opts->unsigned_int8;
    pg->type_sql = no_length ? gw_strdup("text") : as_int8 ? gw_strdup("bigint") : expand_pg(r->pg, src);
    col->int8_checked = as_int8;
    char *spelled = mysql_pg_type_normalize(pg->type_sql, &pg->oid);
    free(spelled);
    return GW_OK;
}

static const char *
type_map_lookup(const MyOptions *opts, const MyColumnSource *src)
{
    for (size_t i = 0; i < opts->nmap; i++) {
        const char *k = opts->map_keys[i];
        size_t ls = strlen(src->schema), lt = strlen(src->table);
        if (!strncmp(k, src->schema, ls) && k[ls] == '.' && !strncmp(k + ls + 1, src->table, lt) &&
            k[ls + 1 + lt] == '.' && !strcmp(k + ls + lt + 2, src->name))
            return opts->map_types[i];
    }
    return NULL;
}

/* --type-map: the PostgreSQL type given replaces the rule's; the value's canonical text stays. */
static GwResult
apply_type_map(const MyColumnSource *src, const char *wanted, MyColumn *col, MyPgType *pg)
{
    uint32_t oid = 0;
    char *type = mysql_pg_type_normalize(wanted, &oid);
    if (!type) {
        log_error("--type-map: %s.%s.%s: '%s' is not a PostgreSQL type godwit knows (boolean, smallint, integer,"
                  " bigint, numeric(p,s), real, double precision, text, varchar(n), char(n), bytea, date,"
                  " time, timestamp(p), timestamptz(p), interval, json, jsonb, uuid, bit(n), varbit(n), text[])",
                  src->schema, src->table, src->name, wanted);
        return GW_ERR_USAGE;
    }
    free(pg->type_sql);
    pg->type_sql = type;
    pg->oid = oid;
    pg->is_enum = false;
    pg->type_mapped = true;
    /* TINYINT(1) loaded into anything but boolean keeps its number; BIGINT UNSIGNED into bigint is checked. */
    if (col->kind == MYV_BOOL && oid != 16)
        col->kind = MYV_INT;
    col->int8_checked = col->kind == MYV_UINT && oid == 20;
    return GW_OK;
}

/* A spatial column carried as bytes (--type-map to bytea): MySQL's internal format, SRID then WKB. */
static const TypeRule spatial_as_bytes = {"geometry", ANY_SIGN, MYV_BYTES, "bytea", MYSEL_PLAIN};

static bool
is_spatial(const char *data_type)
{
    static const char *const spatial_types[] = {"geometry", "point", "linestring", "polygon", "multipoint",
                                                "multilinestring", "multipolygon", "geometrycollection", NULL};
    for (size_t i = 0; spatial_types[i]; i++)
        if (!strcmp(data_type, spatial_types[i]))
            return true;
    return false;
}

GwResult
mysql_type_map(const MyColumnSource *src, const MyOptions *opts, MyColumn *col, MyPgType *pg)
{
    memset(pg, 0, sizeof *pg);
    col->generated = src->generated;
    const TypeRule *r = find_rule(src);
    if (!r && src->generated) {
        /* Not copied and not streamed: the binlog decoder only steps over its bytes. */
        col->kind = MYV_BYTES;
        col->charset = MYCS_BINARY;
        return GW_OK;
    }
    if (!r && is_spatial(src->data_type)) {
        /* Carried as bytes only when the operator says so: the application cannot query them on PostgreSQL. */
        const char *wanted = type_map_lookup(opts, src);
        if (wanted && !strcmp(wanted, "bytea"))
            r = &spatial_as_bytes;
    }
    if (!r) {
        bool spatial = is_spatial(src->data_type);
        log_error("source table %s.%s, column %s: type %s is not supported%s", src->schema, src->table, src->name,
                  src->column_type,
                  spatial ? " (spatial types have no PostgreSQL equivalent without PostGIS): --type-map the column"
                            " to bytea to carry its values as MySQL's own bytes (SRID and WKB), --exclude the table,"
                            " or drop or convert the column"
                          : " (--exclude the table, or drop or convert the column)");
        return GW_ERR_USAGE;
    }
    GwResult rc = map_by_rule(src, r, opts, col, pg);
    const char *wanted = rc == GW_OK ? type_map_lookup(opts, src) : NULL;
    if (wanted)
        rc = apply_type_map(src, wanted, col, pg);
    return rc;
}

void
mysql_column_free(MyColumn *col)
{
    free(col->name);
    for (size_t i = 0; i < col->nlabels; i++)
        free(col->labels[i]);
    free(col->labels);
    memset(col, 0, sizeof *col);
}

void
mysql_pg_type_free(MyPgType *pg)
{
    free(pg->type_sql);
    memset(pg, 0, sizeof *pg);
}

static int
options_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

static int
parse_type_map(json_t *map, MyOptions *out, char *err, size_t errlen)
{
    if (!map)
        return 0;
    if (!json_is_object(map))
        return options_fail(err, errlen, "type_map must be an object");
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value) {
        if (!json_is_string(value))
            return options_fail(err, errlen, "type_map values must be type names");
        out->map_keys = gw_realloc(out->map_keys, (out->nmap + 1) * sizeof *out->map_keys);
        out->map_types = gw_realloc(out->map_types, (out->nmap + 1) * sizeof *out->map_types);
        out->map_keys[out->nmap] = gw_strdup(key);
        out->map_types[out->nmap++] = gw_strdup(json_string_value(value));
    }
    return 0;
}

int
mysql_options_parse(const char *json, MyOptions *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *obj = json_loads(json, 0, &jerr);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return options_fail(err, errlen, "source options are not a JSON object");
    }
    const char *zd = json_string_value(json_object_get(obj, "zero_dates"));
    const char *ub = json_string_value(json_object_get(obj, "unsigned_bigint"));
    int rc = 0;
    if (zd && strcmp(zd, "null") != 0 && strcmp(zd, "error") != 0)
        rc = options_fail(err, errlen, "zero_dates must be \"error\" or \"null\"");
    else if (ub && strcmp(ub, "int8") != 0 && strcmp(ub, "numeric") != 0)
        rc = options_fail(err, errlen, "unsigned_bigint must be \"numeric\" or \"int8\"");
    else
        rc = parse_type_map(json_object_get(obj, "type_map"), out, err, errlen);
    out->zero_dates_null = zd && !strcmp(zd, "null");
    out->unsigned_int8 = ub && !strcmp(ub, "int8");
    json_decref(obj);
    if (rc)
        mysql_options_free(out);
    return rc;
}

void
mysql_options_free(MyOptions *o)
{
    for (size_t i = 0; i < o->nmap; i++) {
        free(o->map_keys[i]);
        free(o->map_types[i]);
    }
    free(o->map_keys);
    free(o->map_types);
    memset(o, 0, sizeof *o);
}
