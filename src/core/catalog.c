/*
 * catalog.c: ownership and lookups for the Catalog model (see catalog.h).
 * It never talks to a database.
 */
#include "core/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/mem.h"

void
catalog_init(Catalog *cat)
{
    memset(cat, 0, sizeof *cat);
}

static void
free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void
type_free(TypeDef *t)
{
    free(t->schema);
    free(t->name);
    free(t->sql);
    free(t->extension);
    free_strings(t->labels, t->nlabels);
    free(t->base_sql);
    free(t->default_sql);
    free_strings(t->checks, t->nchecks);
    free_strings(t->check_names, t->nchecks);
}

static void
column_free(ColumnDef *c)
{
    free(c->name);
    free(c->type_sql);
    free(c->type_name_sql);
    free(c->default_sql);
    free(c->deferred_default_sql);
    free(c->generated_sql);
    free(c->collation_sql);
}

static void
constraint_free(ConstraintDef *k)
{
    free(k->name);
    free(k->definition);
    free(k->ref_schema);
    free(k->ref_table);
}

static void
table_free(TableDef *t)
{
    free(t->schema);
    free(t->name);
    for (size_t i = 0; i < t->ncolumns; i++)
        column_free(&t->columns[i]);
    free(t->columns);
    free(t->pk);
    for (size_t i = 0; i < t->nconstraints; i++)
        constraint_free(&t->constraints[i]);
    free(t->constraints);
    for (size_t i = 0; i < t->nindexes; i++) {
        free(t->indexes[i].name);
        free(t->indexes[i].definition);
    }
    free(t->indexes);
    for (size_t i = 0; i < t->npartitions; i++) {
        PartitionDef *p = &t->partitions[i];
        free(p->schema);
        free(p->name);
        free(p->parent_schema);
        free(p->parent_name);
        free(p->bound_sql);
        free(p->key_sql);
    }
    free(t->partitions);
    free(t->partition_key_sql);
    free_strings(t->inherits, t->ninherits);
}

static void
sequence_free(SequenceDef *s)
{
    free(s->schema);
    free(s->name);
    free(s->type_sql);
    free(s->owner_schema);
    free(s->owner_table);
    free(s->owner_column);
}

void
catalog_free(Catalog *cat)
{
    for (size_t i = 0; i < cat->ntables; i++)
        table_free(&cat->tables[i]);
    for (size_t i = 0; i < cat->ntypes; i++)
        type_free(&cat->types[i]);
    for (size_t i = 0; i < cat->nsequences; i++)
        sequence_free(&cat->sequences[i]);
    free(cat->tables);
    free(cat->types);
    free(cat->sequences);
    catalog_init(cat);
}

TableDef *
catalog_add_table(Catalog *cat)
{
    gw_grow((void **) &cat->tables, &cat->cap_tables, cat->ntables + 1, sizeof *cat->tables);
    TableDef *t = &cat->tables[cat->ntables++];
    memset(t, 0, sizeof *t);
    return t;
}

TypeDef *
catalog_add_type(Catalog *cat)
{
    gw_grow((void **) &cat->types, &cat->cap_types, cat->ntypes + 1, sizeof *cat->types);
    TypeDef *t = &cat->types[cat->ntypes++];
    memset(t, 0, sizeof *t);
    return t;
}

SequenceDef *
catalog_add_sequence(Catalog *cat)
{
    gw_grow((void **) &cat->sequences, &cat->cap_sequences, cat->nsequences + 1, sizeof *cat->sequences);
    SequenceDef *s = &cat->sequences[cat->nsequences++];
    memset(s, 0, sizeof *s);
    return s;
}

void
schema_objects_add(SchemaObjects *l, const char *kind, const char *name)
{
    gw_grow((void **) &l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = (SchemaObject) {.kind = gw_strdup(kind), .name = gw_strdup(name)};
}

void
schema_objects_free(SchemaObjects *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].kind);
        free(l->items[i].name);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

TableDef *
catalog_find_table(const Catalog *cat, const char *schema, const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (!strcmp(cat->tables[i].schema, schema) && !strcmp(cat->tables[i].name, name))
            return &cat->tables[i];
    return NULL;
}

const SequenceDef *
catalog_find_sequence(const Catalog *cat, const char *schema, const char *name)
{
    for (size_t i = 0; i < cat->nsequences; i++)
        if (!strcmp(cat->sequences[i].schema, schema) && !strcmp(cat->sequences[i].name, name))
            return &cat->sequences[i];
    return NULL;
}

bool
catalog_has_schema(const Catalog *cat, const char *schema)
{
    for (size_t i = 0; schema && i < cat->ntables; i++)
        if (!strcmp(cat->tables[i].schema, schema))
            return true;
    return false;
}

bool
catalog_first_of_schema(const Catalog *cat, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(cat->tables[j].schema, cat->tables[i].schema))
            return false;
    return true;
}

TableDef *
catalog_find_table_id(const Catalog *cat, uint32_t id)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (cat->tables[i].id == id)
            return &cat->tables[i];
    return NULL;
}

const TypeDef *
catalog_find_type(const Catalog *cat, uint32_t id)
{
    for (size_t i = 0; i < cat->ntypes; i++)
        if (cat->types[i].id == id)
            return &cat->types[i];
    return NULL;
}

const TypeDef *
catalog_storage_type(const Catalog *cat, uint32_t id)
{
    const TypeDef *t = catalog_find_type(cat, id);
    /* Bounded: a domain chain cannot be longer than the catalog. */
    for (size_t hops = 0; t && t->kind == TYPE_DOMAIN && hops < cat->ntypes; hops++)
        t = catalog_find_type(cat, t->base_id);
    return t;
}

ssize_t
table_find_column(const TableDef *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name))
            return (ssize_t) i;
    return -1;
}

const ConstraintDef *
table_primary_key(const TableDef *t)
{
    for (size_t i = 0; i < t->nconstraints; i++)
        if (t->constraints[i].kind == CONSTRAINT_PRIMARY)
            return &t->constraints[i];
    return NULL;
}

char *
table_display_name(const TableDef *t)
{
    return gw_asprintf("%s.%s", t->schema, t->name);
}

void
catalog_mark_referenced(Catalog *cat)
{
    for (size_t i = 0; i < cat->ntables; i++) {
        const TableDef *t = &cat->tables[i];
        for (size_t k = 0; k < t->nconstraints; k++) {
            const ConstraintDef *c = &t->constraints[k];
            if (c->kind != CONSTRAINT_FOREIGN || !c->ref_schema || !c->ref_table)
                continue;
            TableDef *ref = catalog_find_table(cat, c->ref_schema, c->ref_table);
            if (ref)
                ref->referenced = true;
        }
    }
}

void
table_drop_hidden_column(TableDef *t, size_t col)
{
    bool in_key = false;
    for (size_t k = 0; k < t->npk; k++)
        in_key = in_key || t->pk[k] == col;
    if (in_key) {
        free(t->pk);
        t->pk = NULL;
        t->npk = 0;
        size_t kept = 0;
        for (size_t i = 0; i < t->nconstraints; i++) {
            if (t->constraints[i].kind == CONSTRAINT_PRIMARY)
                constraint_free(&t->constraints[i]);
            else
                t->constraints[kept++] = t->constraints[i];
        }
        t->nconstraints = kept;
    }
    for (size_t k = 0; k < t->npk; k++)
        t->pk[k] -= t->pk[k] > col;
    column_free(&t->columns[col]);
    memmove(&t->columns[col], &t->columns[col + 1], (t->ncolumns - col - 1) * sizeof *t->columns);
    t->ncolumns--;
}
