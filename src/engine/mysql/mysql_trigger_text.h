/*
 * mysql_trigger_text.h: the text of a MySQL/MariaDB trigger that failback
 * keeps quiet (mysql_trigger_guard.c): its body wrapped so that it runs
 * for every session but godwit's appliers, the original body read back
 * from the wrapped one, and the CREATE TRIGGER statement that makes either
 * form with the trigger's own definer.  Pure functions: no I/O.
 */
#ifndef GW_MYSQL_TRIGGER_TEXT_H
#define GW_MYSQL_TRIGGER_TEXT_H

#include <stdbool.h>

/* The parts of a trigger information_schema.TRIGGERS gives, as they were made. */
typedef struct TriggerDef {
    char *name;
    char *timing;       /* BEFORE or AFTER */
    char *event;        /* INSERT, UPDATE or DELETE */
    char *definer;      /* user@host, as information_schema writes it */
    char *sql_mode;
    char *charset;      /* character_set_client */
    char *collation;    /* collation_connection */
    char *body;         /* the trigger's own body, never the guarded one */
    long order;         /* its place among the table's triggers (by timing and event) */
    bool exists;        /* the table has it now */
    bool guarded;       /* ... in the guarded form */
} TriggerDef;

void trigger_def_free(TriggerDef *d);

/* body inside IF IFNULL(@godwit_apply, 0) = 0 THEN ... END IF.  Caller frees. */
char *trigger_guarded_body(const char *body);

/* The body a guarded body wraps, or NULL when body is not one.  Caller frees. */
char *trigger_unguarded_body(const char *body);

/*
 * CREATE DEFINER=`user`@`host` TRIGGER `schema`.`name` timing event ON
 * `schema`.`table` FOR EACH ROW body, the body guarded or not; NULL when a
 * part is not one MySQL has (a timing or event other than its words).
 * Caller frees.
 */
char *trigger_create_sql(const char *schema, const char *table, const TriggerDef *d, bool guarded);

/* DEFINER's account (user@host, split at the last @) in backquotes: `user`@`host`.  Caller frees. */
char *trigger_definer_sql(const char *definer);

#endif
