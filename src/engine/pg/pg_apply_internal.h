/*
 * pg_apply_internal.h: the apply session shared by pg_apply.c (operations
 * as prepared statements, in pipeline mode), pg_apply_sql.c (their SQL) and
 * pg_apply_stage.c (changes staged and merged per table with one set-based
 * statement).
 */
#ifndef GW_PG_APPLY_INTERNAL_H
#define GW_PG_APPLY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/apply_rules.h"
#include "engine/pg/pg_conn.h"
#include "util/stmt_queue.h"
#include "util/strbuf.h"

/* Queued statements between two pipeline syncs: bounds what is unread on the socket. */
#define APPLY_SYNC_EVERY 512

typedef struct Statement {
    char *key;              /* op, table and column masks */
    char *name;             /* prepared statement name */
} Statement;


typedef struct Stage Stage;     /* pg_apply_stage.c */

typedef struct Applier {
    bool in_txn;
    bool pipeline;
    Statement *stmts;
    size_t nstmts, cap_stmts;
    unsigned next_id;
    StmtQueue pending;      /* what each queued result is, for error reports; tables are target TableDefs */
    unsigned long long commits_done;    /* COMMITs read back since pg_apply_collect last said */
    bool checkpoint_prepared;
    const char **params;
    size_t cap_params;
    StrBuf values;          /* NUL-terminated copies of the parameter values */
    size_t *offsets;
    size_t cap_offsets;
    long last_rows;         /* rows affected by the last statement read back by pg_apply_sync() */
    ApplySemantics sem;     /* of the stream applied (apply_rules.h) */
    bool as_replica;        /* the session runs as a replica: only ALWAYS/REPLICA triggers fire, no FK checks */
    ApplyPlan plan;         /* the operations of the change being applied */
    bool *key;              /* its table's key, over its relation's columns */
    size_t cap_key;
    Stage *stages;          /* one per table shape staged in this session */
    size_t nstages, cap_stages;
    size_t staged_rows;     /* rows waiting in stages, all tables */
    size_t staged_bytes;
} Applier;

/* pg_apply_sql.c: statements of apply operations, without a connection. */
typedef struct PgApplySql {
    bool crdb;              /* CockroachDB: no ctid and no ONLY; LIMIT on UPDATE and DELETE */
    const char *guard_sql;  /* APPLY_DELETE_GUARDED: its guard, rendered */
} PgApplySql;
/* The statement of op on rel's table t; its parameters: op->set of op->row, then (pg_apply_params_match) op->match_cols of op->match. */
char *pg_apply_sql(const ApplyOp *op, const RelationInfo *rel, const TableDef *t, const PgApplySql *how);
bool pg_apply_params_match(const ApplyOp *op);
/* What tells apart the prepared statements of a session: the operation, the relation, and its column masks. */
char *pg_apply_statement_key(const ApplyOp *op, const RelationInfo *rel);
/* Whether an insert must say OVERRIDING SYSTEM VALUE. */
bool pg_has_identity_always(const TableDef *t);

/* pg_apply.c */
void pg_apply_queue_result(Applier *a, char *what);
/* what: static, "applying an insert". */
void pg_apply_queue_change(Applier *a, const char *what, const TableDef *t);
/* Sends a sync and reads every queued result, reporting the first error. */
GwResult pg_apply_sync(PgConn *c) GW_MUST_CHECK;
/* Queues one operation as its own prepared statement; what says what it is in an error ("applying an insert"). */
GwResult pg_apply_send_op(PgConn *c, const ApplyOp *op, const RelationInfo *rel, const TableDef *t,
                          const char *what) GW_MUST_CHECK;
/* Opens the apply transaction (in pipeline mode) unless one is open: for statements of the apply's own. */
GwResult pg_apply_begin(PgConn *c) GW_MUST_CHECK;

/* pg_apply_stage.c */
/*
 * Stages a change's operations when its table's changes may be merged and
 * every operation may join them; *staged false means send them one by one
 * (after pg_stage_flush).
 */
GwResult pg_stage_plan(PgConn *c, const RelationInfo *rel, const TableDef *t, const ApplyPlan *p,
                       bool *staged) GW_MUST_CHECK;
/* Applies every staged row: one statement per table (array parameters), queued in the pipeline. */
GwResult pg_stage_flush(PgConn *c) GW_MUST_CHECK;
void pg_stage_free(Applier *a);

#endif
