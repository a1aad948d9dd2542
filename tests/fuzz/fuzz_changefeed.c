/*
 * fuzz_changefeed.c: libFuzzer target for what a CockroachDB changefeed's
 * webhook sends: the request body (core/changefeed_message.c over
 * core/jsonv.c, as http/changefeed_webhook.c calls it), each row as a Change
 * of a source table (core/changefeed_change.c) and each value as canonical
 * text for every kind of column (core/changefeed_value.c).
 *
 * The source table is public.orders (id int4, region text, flags bool[], tags
 * text[], doc jsonb, total int4 generated), once with its primary key (id)
 * and once without one (CockroachDB's rowid).
 */
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/changefeed_change.h"
#include "core/changefeed_message.h"
#include "core/changefeed_value.h"
#include "fuzz_common.h"
#include "util/mem.h"

static Catalog cat;
static ChangefeedTable keyed, keyless;

static void
add_type(uint32_t id, const char *name, TypeKind kind, char category, uint32_t elem)
{
    TypeDef *t = catalog_add_type(&cat);
    t->id = id;
    t->schema = gw_strdup("pg_catalog");
    t->name = gw_strdup(name);
    t->sql = gw_strdup(name);
    t->kind = kind;
    t->builtin = true;
    t->category = category;
    t->elem_id = elem;
}

/* The columns of the source table: name, type, and a generated column's expression. */
static const struct {
    const char *name;
    uint32_t type_id;
    const char *generated_sql;
} orders_columns[] = {
    {"id", 23, NULL}, {"region", 25, NULL}, {"flags", 1000, NULL},
    {"tags", 1009, NULL}, {"doc", 3802, NULL}, {"total", 23, "id * 2"},
};
#define ORDERS_NCOLS (sizeof orders_columns / sizeof orders_columns[0])

static void
add_orders(bool with_key)
{
    TableDef *t = catalog_add_table(&cat);
    t->schema = gw_strdup("public");
    t->name = gw_strdup("orders");
    t->ncolumns = ORDERS_NCOLS;
    t->columns = gw_calloc(t->ncolumns, sizeof *t->columns);
    for (size_t i = 0; i < t->ncolumns; i++) {
        ColumnDef *c = &t->columns[i];
        c->name = gw_strdup(orders_columns[i].name);
        c->type_sql = gw_strdup("x");
        c->type_id = orders_columns[i].type_id;
        if (orders_columns[i].generated_sql != NULL)
            c->generated_sql = gw_strdup(orders_columns[i].generated_sql);
    }
    if (with_key) {
        t->npk = 1;
        t->pk = gw_calloc(t->npk, sizeof *t->pk);   /* column 0, id */
    }
}

static void
tables_init(void)
{
    catalog_init(&cat);
    add_type(23, "int4", TYPE_BASE, 'N', 0);
    add_type(25, "text", TYPE_BASE, 'S', 0);
    add_type(16, "bool", TYPE_BASE, 'B', 0);
    add_type(1000, "_bool", TYPE_ARRAY, 'A', 16);
    add_type(1009, "_text", TYPE_ARRAY, 'A', 25);
    add_type(3802, "jsonb", TYPE_BASE, 'U', 0);
    add_orders(true);
    add_orders(false);
    /* The catalog's table array is final now: the ChangefeedTables keep pointers into it. */
    changefeed_table_init(&keyed, &cat, &cat.tables[0], 1);
    changefeed_table_init(&keyless, &cat, &cat.tables[1], 2);
}

static void
touch_values(const ChangeTuple *t)
{
    for (uint16_t i = 0; i < t->ncols; i++)
        if (t->values[i].kind == VALUE_TEXT)
            fuzz_touch(t->values[i].data, t->values[i].len);
}

static void
build_change(ChangefeedChange *cc, const ChangefeedTable *t, const ChangefeedRow *row)
{
    char err[512];
    if (changefeed_change_build(cc, t, row->key, row->after, row->before, err, sizeof err)) {
        touch_values(&cc->change.old_tuple);
        touch_values(&cc->change.new_tuple);
    }
}

/* Every value of an object as each kind of column would take it. */
static void
value_texts(const JsonvNode *obj)
{
    static const ChangefeedType types[] = {
        {CFV_SCALAR, CFV_SCALAR}, {CFV_BOOL, CFV_SCALAR}, {CFV_JSON, CFV_SCALAR},
        {CFV_ARRAY, CFV_SCALAR},  {CFV_ARRAY, CFV_BOOL},  {CFV_ARRAY, CFV_JSON},
    };
    if (obj == NULL || obj->kind != JV_OBJECT)
        return;
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t m = 0; m < obj->count; m++)
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
            bool is_null;
            char err[256];
            strbuf_reset(&sb);
            if (changefeed_value_text(obj->members[m].value, types[k], &sb, &is_null, err, sizeof err))
                fuzz_touch(sb.data, sb.len);
        }
    strbuf_free(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cat.ntables == 0)
        tables_init();
    /* A copy of exactly the body, as the webhook hands it over, so that a read past it is caught. */
    char *body = malloc(size ? size : 1);
    memcpy(body, data, size);
    ChangefeedMessage m;
    char err[512];
    if (changefeed_message_parse(body, size, &m, err, sizeof err)) {
        ChangefeedChange cc;
        changefeed_change_init(&cc);
        for (size_t i = 0; i < m.nrows; i++) {
            fuzz_touch_str(m.rows[i].topic);
            build_change(&cc, &keyed, &m.rows[i]);
            build_change(&cc, &keyless, &m.rows[i]);
            value_texts(m.rows[i].after);
            value_texts(m.rows[i].before);
        }
        changefeed_change_free(&cc);
        changefeed_message_free(&m);
    }
    free(body);
    return 0;
}
