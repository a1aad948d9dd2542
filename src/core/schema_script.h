/*
 * schema_script.h: the objects of a source's schemas that a fetch makes on
 * a target of the same kind besides the tables (views, functions, triggers,
 * ...), as a script of entries in the order they can be made, each with
 * the stage of the fetch it belongs to and, once run, what became of it.
 *
 * The source engine writes the script (SourceOps.schema_script), the target
 * engine runs it stage by stage (TargetOps.make_objects), and the fetch
 * report lists each entry with its status: nothing is left behind without a
 * line saying so.
 */
#ifndef GW_SCHEMA_SCRIPT_H
#define GW_SCHEMA_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

/* When an entry is made, against the tables' creation and their load. */
typedef enum ScriptStage {
    SCRIPT_BEFORE_TABLES,   /* what tables need: extensions, types, collations, functions their checks call */
    SCRIPT_AFTER_TABLES,    /* views, functions on the tables' row types, sequences, comments, defaults */
    SCRIPT_AFTER_DATA,      /* triggers, rules, policies, statistics; materialized views refreshed */
} ScriptStage;

typedef enum ScriptStatus {
    SCRIPT_PENDING,         /* not run (yet) */
    SCRIPT_CREATED,
    SCRIPT_EXISTED,         /* already on the target (an earlier phase, or the operator, made it) */
    SCRIPT_LEFT_OUT,        /* needs what this fetch does not make (a table not selected) */
    SCRIPT_FAILED,          /* the target refused it: not migrated, why says why */
} ScriptStatus;

typedef struct ScriptEntry {
    char *kind;             /* lower case: "extension", "view", "function", "trigger", ... */
    char *name;             /* as the report shows it: public.film_list, public.film film_stamp; an extension's own */
    char *sql;              /* what makes it */
    ScriptStage stage;
    char *refresh_sql;      /* a materialized view: what computes its rows once the data is in; else NULL */
    char *needed_by;        /* an extension: the fetched objects that need it ("index public.i, view public.v"), or NULL */
    ScriptStatus status;
    char *why;              /* SCRIPT_LEFT_OUT, SCRIPT_FAILED: the reason, one line */
} ScriptEntry;

typedef struct SchemaScript {
    char *settings;         /* session settings every entry assumes, run first */
    ScriptEntry *entries;   /* in the order they can be made; extensions first */
    size_t n;
    size_t cap;
} SchemaScript;

void schema_script_init(SchemaScript *s);
void schema_script_free(SchemaScript *s);
/* Appends an entry (copies of every string) and returns it. */
ScriptEntry *schema_script_add(SchemaScript *s, const char *kind, const char *name, const char *sql,
                               ScriptStage stage);
/* Whether the script makes (or found on the target) extension name. */
bool schema_script_has_extension(const SchemaScript *s, const char *name);
void script_entry_set(ScriptEntry *e, ScriptStatus status, const char *why);
const char *script_status_name(ScriptStatus status);
/* How many entries have this status. */
size_t schema_script_count(const SchemaScript *s, ScriptStatus status);

#endif
