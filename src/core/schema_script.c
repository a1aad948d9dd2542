/*
 * schema_script.c: ownership of a SchemaScript (see schema_script.h).
 */
#include "core/schema_script.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
schema_script_init(SchemaScript *s)
{
    memset(s, 0, sizeof *s);
}

void
schema_script_free(SchemaScript *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->entries[i].kind);
        free(s->entries[i].name);
        free(s->entries[i].sql);
        free(s->entries[i].why);
        free(s->entries[i].refresh_sql);
        free(s->entries[i].needed_by);
    }
    free(s->entries);
    free(s->settings);
    schema_script_init(s);
}

ScriptEntry *
schema_script_add(SchemaScript *s, const char *kind, const char *name, const char *sql, ScriptStage stage)
{
    gw_grow((void **) &s->entries, &s->cap, s->n + 1, sizeof *s->entries);
    ScriptEntry *e = &s->entries[s->n++];
    *e = (ScriptEntry) {.kind = gw_strdup(kind), .name = gw_strdup(name), .sql = gw_strdup(sql), .stage = stage};
    return e;
}

bool
schema_script_has_extension(const SchemaScript *s, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!strcmp(s->entries[i].kind, "extension") && !strcmp(s->entries[i].name, name))
            return s->entries[i].status != SCRIPT_FAILED && s->entries[i].status != SCRIPT_LEFT_OUT;
    return false;
}

void
script_entry_set(ScriptEntry *e, ScriptStatus status, const char *why)
{
    e->status = status;
    free(e->why);
    e->why = why ? gw_strdup(why) : NULL;
}

const char *
script_status_name(ScriptStatus status)
{
    switch (status) {
    case SCRIPT_PENDING: return "pending";
    case SCRIPT_CREATED: return "created";
    case SCRIPT_EXISTED: return "already on the target";
    case SCRIPT_LEFT_OUT: return "left out";
    case SCRIPT_FAILED: return "not migrated";
    }
    return "?";
}

size_t
schema_script_count(const SchemaScript *s, ScriptStatus status)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->entries[i].status == status;
    return n;
}
