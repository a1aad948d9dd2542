/*
 * mysql_apply_internal.h: the apply session of a MySQL/MariaDB connection,
 * shared by mysql_apply.c (changes by the rules of core/apply_rules.h,
 * commit, session setup), mysql_apply_table.c (relations matched to
 * tables), mysql_apply_sql.c (statements and values) and
 * mysql_apply_queue.c (batches, net changes by key, statements queued and
 * sent several per round trip).
 */
#ifndef GW_MYSQL_APPLY_INTERNAL_H
#define GW_MYSQL_APPLY_INTERNAL_H

#include "core/apply_rules.h"
#include "core/row_merge.h"
#include "engine/mysql/mysql_apply.h"
#include "engine/mysql/mysql_internal.h"
#include "util/stmt_queue.h"

/* A batch is ended (queued) when it holds this many rows, or this many bytes of SQL. */
#define BATCH_MAX_ROWS 1000
#define BATCH_MAX_BYTES (1u << 20)
/*
 * Queued statements are sent (one round trip) when they hold this many bytes
 * (at most half the server's max_allowed_packet), or this many statements.
 */
#define PENDING_MAX_BYTES (4u << 20)
#define PENDING_MIN_BYTES (64u << 10)
#define PENDING_MAX_STMTS 8192
/*
 * A table's net changes (row_merge.h) are sent when they hold this many
 * rows or bytes, and at commit.
 */
#define MERGE_MAX_ROWS 4096
#define MERGE_MAX_BYTES (4u << 20)
/* How much of a value an error message shows. */
#define SHOWN_VALUE_BYTES 200

typedef enum BatchKind { BATCH_NONE, BATCH_UPSERT, BATCH_INSERT, BATCH_DELETE } BatchKind;

typedef struct ApplyTable ApplyTable;


/*
 * A relation of the change stream matched to its MySQL table: for each of
 * the relation's columns (in the stream's order, by name), the MySQL column
 * it is written to.  Checked against the relation on every use: the
 * reader may describe a table again.
 */
struct ApplyTable {
    const RelationInfo *rel;
    char *schema;
    char *name;
    uint16_t ncols;
    char **colnames;            /* the relation's, as they were when this was made */
    const MyColumn **cols;      /* per relation column: the MySQL column */
    bool *is_char;              /* PostgreSQL character(n): its pad spaces are not part of the value */
    bool *key;                  /* per relation column: part of the MySQL table's primary key */
    size_t nkey;
    bool has_key;               /* the table has a primary key and every column of it is streamed */
    char *qname;                /* `schema`.`table` */
    char **qcols;
    char *upsert_head;          /* "INSERT INTO t (a, b) VALUES " */
    char *upsert_tail;          /* " ON DUPLICATE KEY UPDATE b = VALUES(b)" */
    char *delete_head;          /* "DELETE FROM t WHERE (k1, k2) IN (" */
    /*
     * Its changes of whole rows by key may be merged (the last per key wins,
     * sent as one DELETE and one upsert): apply_rules_merge() allows it, the
     * key being integers (equal keys have equal text).
     */
    bool mergeable;
    RowMerge merge;             /* rendered key -> rendered row, or deleted; newer than anything queued for it */
};

/* The apply session of one connection. */
struct MyApplier {
    EngineConn *conn;
    bool in_txn;
    ApplyTable **tables;
    size_t ntables, cap_tables;
    /* the batch being built */
    BatchKind batch;
    ApplyTable *batch_table;
    const struct Predicate *batch_guard;    /* deletes: only rows that match it (Change.delete_guard) */
    size_t batch_rows;
    StrBuf sql;
    /*
     * Statements queued, in the source's order, each ended by ';': sent in
     * one round trip (multi-statement query) at commit, when they are big,
     * and before anything that needs a statement's result or reads the
     * database.  The server stops at the first statement that fails.
     */
    StrBuf pending;
    /*
     * What each queued statement is, for its report ("applying 12 upserts
     * on t", as when it ran alone).  Its table's names outlive it: tables are
     * only replaced or freed when nothing is queued.
     */
    StmtQueue queued;
    size_t pending_max;                 /* bytes: PENDING_MAX_BYTES, less on a small max_allowed_packet */
    unsigned long long last_matched;    /* "Rows matched" of the last statement sent */
    ApplySemantics sem;                 /* of the stream applied (apply_rules.h) */
    ApplyPlan plan;                     /* the operations of the change being applied */
    /* scratch */
    StrBuf stmt;
    StrBuf key_text, row_text;
    const char *text_collation;  /* a binary collation without padding, for matching text */
};

/* mysql_apply_table.c */
void mysql_apply_table_free(ApplyTable *t);
/* The table of a relation, made on first use and again when the relation changed (sending what is queued first). */
GwResult mysql_apply_table_for(MyApplier *a, MyConn *c, const RelationInfo *rel, ApplyTable **out) GW_MUST_CHECK;
/* The statement texts every batch of the table starts and ends with (upsert_head, upsert_tail, delete_head). */
void mysql_apply_table_heads(ApplyTable *t, const char *tag);

/* mysql_apply_sql.c: statements and values, written into out; errors name table, column and value. */
GwResult mysql_apply_value(MyConn *c, const ApplyTable *t, uint16_t i, const ChangeValue *v, StrBuf *out) GW_MUST_CHECK;
/* A row as an item of a batch: "(1,'x')"; for a delete (keys_only) its key, "1" or "(1,'x')". */
GwResult mysql_apply_row_sql(MyConn *c, const ApplyTable *t, const ChangeTuple *row, bool keys_only,
                             StrBuf *out) GW_MUST_CHECK;
/*
 * The statement of an operation that is not batched (APPLY_UPDATE,
 * APPLY_UPDATE_KEY, APPLY_UPDATE_MATCH, APPLY_DELETE_MATCH); text_collation:
 * a binary collation without padding, for matching text exactly.
 */
GwResult mysql_apply_op_sql(MyConn *c, const ApplyTable *t, const ApplyOp *op, const char *text_collation,
                            StrBuf *out) GW_MUST_CHECK;

/* mysql_apply_queue.c */
void mysql_apply_batch_clear(MyApplier *a);
void mysql_apply_pending_clear(MyApplier *a);
/* Sends every queued statement in one round trip; last_matched is then the last one's "Rows matched". */
GwResult mysql_apply_send_pending(MyApplier *a, MyConn *c) GW_MUST_CHECK;
GwResult mysql_apply_queue(MyApplier *a, MyConn *c, const char *sql, size_t len, StmtNote note) GW_MUST_CHECK;
/* Queues the statement built in a->stmt. */
GwResult mysql_apply_queue_stmt(MyApplier *a, MyConn *c, const char *what, const ApplyTable *t) GW_MUST_CHECK;
/* Starts a statement in a->stmt with the session's tag. */
void mysql_apply_stmt_start(MyApplier *a, MyConn *c);
/* Ends the batch being built, if any: queues its statement. */
GwResult mysql_apply_flush(MyApplier *a, MyConn *c) GW_MUST_CHECK;
/* Adds a row to the table's batch of its kind (sending any other batch first). */
GwResult mysql_apply_batch_add(MyApplier *a, MyConn *c, ApplyTable *t, BatchKind kind, const ChangeTuple *row,
                               const struct Predicate *guard) GW_MUST_CHECK;
/* The table's net changes by key: sent after whatever is batched; the row of key_of's key becomes row, or deleted. */
GwResult mysql_apply_merge_send(MyApplier *a, MyConn *c, ApplyTable *t) GW_MUST_CHECK;
GwResult mysql_apply_merge_send_all(MyApplier *a, MyConn *c) GW_MUST_CHECK;
void mysql_apply_merge_forget_all(MyApplier *a);
GwResult mysql_apply_merge_put(MyApplier *a, MyConn *c, ApplyTable *t, const ChangeTuple *key_of,
                               const ChangeTuple *row) GW_MUST_CHECK;

#endif
