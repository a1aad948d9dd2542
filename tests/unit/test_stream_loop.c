/*
 * test_stream_loop.c: the stream loop (flow/stream_loop.c) against a fake
 * stream and a fake writer, no servers: transactions grouped into writer
 * transactions, the group ramp after a pause, commits in flight confirmed
 * only once done, the stop exactly at a handover's position, and nothing of
 * a transaction committed when the stream fails or is stopped inside it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/stream_loop.h"
#include "util/signals.h"

/* ------------------------------------------------------------------ fake stream */

typedef enum { STEP_TXN, STEP_IDLE, STEP_BEGIN, STEP_INSERT, STEP_COMMIT, STEP_FAIL, STEP_SIGTERM } StepKind;

typedef struct Step {
    StepKind kind;
    int changes;        /* STEP_TXN: inserts in it */
} Step;

/* One transaction is BEGIN, inserts, COMMIT; transaction k (from 1) commits at position k. */
struct ChangeStream {
    const Step *steps;
    size_t nsteps, step;
    int in_step;        /* STEP_TXN: events of the step already sent */
    StreamPos txn;      /* the last transaction begun */
    StreamPos sent;     /* the end of the last COMMIT sent */
    StreamPos confirmed;
    int confirms;
};

static RelationInfo rel = {.id = 7, .schema = "public", .name = "t"};
static ChangeValue value = {.kind = VALUE_TEXT, .data = "1", .len = 1};

static void
begin_txn(ChangeStream *s, Change *ch)
{
    s->txn++;
    *ch = (Change) {.kind = CHANGE_BEGIN, .commit_pos = s->txn, .end_pos = s->txn};
}

static void
insert(Change *ch)
{
    *ch = (Change) {.kind = CHANGE_INSERT, .rel = &rel, .new_tuple = {.ncols = 1, .values = &value}};
}

static GwResult
fake_next(ChangeStream *s, int timeout_ms, StreamEvent *ev, Change *ch)
{
    (void) timeout_ms;
    *ev = STREAM_CHANGE;
    if (s->step == s->nsteps) {
        *ev = STREAM_IDLE;
        return GW_OK;
    }
    const Step *st = &s->steps[s->step];
    switch (st->kind) {
    case STEP_TXN:
        if (s->in_step == 0)
            begin_txn(s, ch);
        else if (s->in_step <= st->changes)
            insert(ch);
        else {
            *ch = (Change) {.kind = CHANGE_COMMIT, .commit_pos = s->txn, .end_pos = s->txn};
            s->sent = s->txn;
            s->step++;
            s->in_step = 0;
            return GW_OK;
        }
        s->in_step++;
        return GW_OK;
    case STEP_IDLE:
        *ev = STREAM_IDLE;
        break;
    case STEP_BEGIN:
        begin_txn(s, ch);
        break;
    case STEP_INSERT:
        insert(ch);
        break;
    case STEP_COMMIT:
        *ch = (Change) {.kind = CHANGE_COMMIT, .commit_pos = s->txn, .end_pos = s->txn};
        s->sent = s->txn;
        break;
    case STEP_SIGTERM:
        raise(SIGTERM);
        insert(ch);
        break;
    case STEP_FAIL:
        return GW_ERR_SOURCE;
    }
    s->step++;
    return GW_OK;
}

/* ------------------------------------------------------------------ fake writer */

#define MAX_COMMITS 64

typedef struct Writer {
    EngineConn conn;
    int open_changes;               /* applied in the open transaction */
    int sizes[MAX_COMMITS];         /* changes per commit, in commit order */
    StreamPos positions[MAX_COMMITS];
    int ncommits;
    int sent;                       /* commits sent with apply_commit_send */
    int done;                       /* commits known to be done */
    bool complete_unasked;          /* apply_collect without wait completes what was sent */
    int aborts;
} Writer;

static Writer writer;

static GwResult
fake_confirm(ChangeStream *s, StreamPos applied, bool request_reply)
{
    (void) request_reply;
    /* Only what the writer committed for good, or went past with nothing to write, may be let go. */
    StreamPos done = writer.done > 0 ? writer.positions[writer.done - 1] : 0;
    if (applied > done)
        assert_true(applied <= s->sent);
    s->confirmed = applied;
    s->confirms++;
    return GW_OK;
}

static StreamPos
fake_sent_pos(ChangeStream *s)
{
    return s->sent;
}

static uint64_t
fake_bytes(ChangeStream *s)
{
    (void) s;
    return 0;
}

static void
fake_close(ChangeStream *s)
{
    (void) s;
}

static int
fake_parse_pos(const char *text, StreamPos *out)
{
    *out = (StreamPos) strtoull(text, NULL, 10);
    return 0;
}

static void
fake_format_pos(StreamPos pos, char *buf, size_t len)
{
    snprintf(buf, len, "%llu", (unsigned long long) pos);
}

static const StreamReader fake_stream_reader = {
    .next = fake_next, .confirm = fake_confirm, .sent_pos = fake_sent_pos, .bytes = fake_bytes,
    .close = fake_close, .parse_pos = fake_parse_pos, .format_pos = fake_format_pos,
};

static GwResult
fake_apply_change(EngineConn *conn, const Change *ch, const TableDef *t)
{
    (void) conn;
    (void) ch;
    (void) t;
    writer.open_changes++;
    return GW_OK;
}

static void
record_commit(const char *position)
{
    assert_true(writer.ncommits < MAX_COMMITS);
    writer.sizes[writer.ncommits] = writer.open_changes;
    writer.positions[writer.ncommits++] = (StreamPos) strtoull(position, NULL, 10);
    writer.open_changes = 0;
}

static GwResult
fake_apply_commit(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    (void) conn;
    (void) stream;
    (void) phase;
    record_commit(position);
    writer.done = writer.ncommits;
    return GW_OK;
}

static GwResult
fake_apply_commit_send(EngineConn *conn, const char *stream, const char *phase, const char *position)
{
    (void) conn;
    (void) stream;
    (void) phase;
    record_commit(position);
    writer.sent++;
    return GW_OK;
}

/* Says how many commits, sent either way, are done since the last call (in order). */
static GwResult
fake_apply_collect(EngineConn *conn, bool wait, unsigned long long *completed)
{
    (void) conn;
    static int reported;
    if (writer.ncommits == 0)
        reported = 0;
    if (wait || writer.complete_unasked)
        writer.done = writer.ncommits;
    *completed = (unsigned long long) (writer.done - reported);
    reported = writer.done;
    return GW_OK;
}

static void
fake_apply_abort(EngineConn *conn)
{
    (void) conn;
    writer.open_changes = 0;
    writer.aborts++;
}

static const ApplyOps sync_apply_ops = {
    .apply_change = fake_apply_change, .apply_commit = fake_apply_commit, .apply_abort = fake_apply_abort,
};
static const ApplyOps pipelined_apply_ops = {
    .apply_change = fake_apply_change, .apply_commit = fake_apply_commit,
    .apply_commit_send = fake_apply_commit_send, .apply_collect = fake_apply_collect,
    .apply_abort = fake_apply_abort,
};
static const EngineOps sync_ops = {.name = "fake", .apply = &sync_apply_ops};
static const EngineOps pipelined_ops = {.name = "fake", .apply = &pipelined_apply_ops};

/* ------------------------------------------------------------------ the loop */

typedef struct Fixture {
    ReplicateOptions opts;
    Replicator r;
    TableDef def;
    ReplTable table;
    ChangeStream stream;
} Fixture;

static Fixture fx;

/* A loop over steps, stopping once caught up with transaction `goal` (0: not). */
static Replicator *
loop(const Step *steps, size_t nsteps, const EngineOps *ops, int group_changes, StreamPos goal)
{
    memset(&fx, 0, sizeof fx);
    memset(&writer, 0, sizeof writer);
    writer.conn.ops = ops;
    fx.stream = (ChangeStream) {.steps = steps, .nsteps = nsteps};
    fx.opts = (ReplicateOptions) {.group_changes = group_changes, .group_ms = 1000000,
                                  .stop_when_caught_up = goal != 0, .phase = "p"};
    fx.def = (TableDef) {.schema = "public", .name = "t"};
    fx.table = (ReplTable) {.def = &fx.def, .changes = metrics_series("test_changes", "", METRIC_COUNTER, NULL, NULL)};
    Replicator *r = &fx.r;
    r->opts = &fx.opts;
    r->wr = ops;
    r->writer = &writer.conn;
    r->so = fake_stream_reader;
    r->stream = &fx.stream;
    r->stream_name = "s";
    r->phase.state.name = "p";
    r->tables = &fx.table;
    r->ntables = 1;
    stream_loop_table_slots_init(r);
    Metric *m = metrics_series("test_metric", "", METRIC_GAUGE, NULL, NULL);
    r->m = (ReplMetrics) {m, m, m, m, m, m, m, m, m};
    r->goal = goal;
    r->group_limit = stream_loop_group_ramp_start(r);
    /* No state store to watch, no runner lock to keep. */
    r->last_watch = r->last_lock_check = 1e300;
    return r;
}

static void
done_loop(Replicator *r)
{
    free(r->table_slots);
}

static void
expect_commits(const int *sizes, const StreamPos *positions, int n)
{
    assert_int_equal(writer.ncommits, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(writer.sizes[i], sizes[i]);
        assert_true(writer.positions[i] == positions[i]);
    }
}

static Step *
txns(size_t n, int changes)
{
    Step *s = calloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++)
        s[i] = (Step) {STEP_TXN, changes};
    return s;
}

/* A backlog: groups start at GROUP_RAMP_START changes and double up to --group-size. */
static void
test_grouping_and_ramp(void **state)
{
    (void) state;
    Step *steps = txns(200, 1);
    Replicator *r = loop(steps, 200, &sync_ops, 100, 200);
    assert_int_equal(stream_loop_run(r), GW_OK);
    const int sizes[] = {32, 64, 100, 4};
    const StreamPos at[] = {32, 96, 196, 200};
    expect_commits(sizes, at, 4);
    assert_true(r->applied == 200);
    assert_true(fx.stream.confirmed == 200);
    done_loop(r);
    free(steps);
}

/* A pause commits what is open and starts the ramp again. */
static void
test_pause_restarts_ramp(void **state)
{
    (void) state;
    Step steps[81];
    for (int i = 0; i < 81; i++)
        steps[i] = (Step) {i == 40 ? STEP_IDLE : STEP_TXN, 1};
    Replicator *r = loop(steps, 81, &sync_ops, 100, 80);
    assert_int_equal(stream_loop_run(r), GW_OK);
    const int sizes[] = {32, 8, 32, 8};
    const StreamPos at[] = {32, 40, 72, 80};
    expect_commits(sizes, at, 4);
    done_loop(r);
}

/*
 * Commits sent ahead: the next group fills while they are in flight, grows
 * to twice its limit while the writer is busy with two, and nothing is
 * confirmed to the stream before the writer says its commit is done.
 */
static void
test_commits_in_flight(void **state)
{
    (void) state;
    Step *steps = txns(300, 1);
    Replicator *r = loop(steps, 300, &pipelined_ops, 100, 300);
    assert_int_equal(stream_loop_run(r), GW_OK);
    const int sizes[] = {32, 64, 200, 4};
    const StreamPos at[] = {32, 96, 296, 300};
    expect_commits(sizes, at, 4);
    assert_int_equal(writer.sent, 3);
    assert_int_equal(fx.stream.confirms, 1);
    assert_true(fx.stream.confirmed == 300);
    assert_int_equal(r->nin_flight, 0);
    done_loop(r);
    free(steps);
}

/* Done commits are confirmed as they are heard of, in order. */
static void
test_commits_collected(void **state)
{
    (void) state;
    Step *steps = txns(100, 1);
    Replicator *r = loop(steps, 100, &pipelined_ops, 32, 100);
    writer.complete_unasked = true;
    assert_int_equal(stream_loop_run(r), GW_OK);
    const int sizes[] = {32, 32, 32, 4};
    const StreamPos at[] = {32, 64, 96, 100};
    expect_commits(sizes, at, 4);
    assert_true(fx.stream.confirms >= 3);
    assert_true(fx.stream.confirmed == 100);
    done_loop(r);
    free(steps);
}

/* A handover's position: everything up to it committed, nothing after it read or applied. */
static void
test_handoff_stops_exactly(void **state)
{
    (void) state;
    Step *steps = txns(100, 2);
    Replicator *r = loop(steps, 100, &pipelined_ops, 1000, 0);
    r->handoff = true;
    r->handoff_goal = 50;
    assert_int_equal(stream_loop_run(r), GW_OK);
    const int sizes[] = {32, 64, 4};
    const StreamPos at[] = {16, 48, 50};
    expect_commits(sizes, at, 3);
    assert_true(r->applied == 50);
    assert_true(r->checkpointed == 50);
    assert_int_equal(fx.stream.step, 50);
    assert_int_equal(writer.open_changes, 0);
    done_loop(r);
    free(steps);
}

/* The stream fails inside a transaction: what committed before stays, nothing of it is committed. */
static void
test_fail_mid_transaction(void **state)
{
    (void) state;
    Step steps[] = {{STEP_TXN, 3}, {STEP_TXN, 3}, {STEP_IDLE, 0}, {STEP_BEGIN, 0},
                    {STEP_INSERT, 0}, {STEP_INSERT, 0}, {STEP_FAIL, 0}};
    Replicator *r = loop(steps, sizeof steps / sizeof *steps, &sync_ops, 100, 0);
    assert_int_equal(stream_loop_run(r), GW_ERR_SOURCE);
    const int sizes[] = {6};
    const StreamPos at[] = {2};
    expect_commits(sizes, at, 1);
    assert_true(r->in_txn);
    assert_true(r->applied == 2);
    done_loop(r);
}

/* A stop request inside a transaction: it is finished and committed whole, and nothing after it is read. */
static void
test_stop_mid_transaction(void **state)
{
    (void) state;
    signals_install();
    Step steps[] = {{STEP_TXN, 1}, {STEP_BEGIN, 0}, {STEP_INSERT, 0}, {STEP_SIGTERM, 0},
                    {STEP_INSERT, 0}, {STEP_COMMIT, 0}, {STEP_TXN, 1}};
    Replicator *r = loop(steps, sizeof steps / sizeof *steps, &pipelined_ops, 100, 0);
    assert_int_equal(stream_loop_run(r), GW_OK);
    assert_true(r->stopping);
    int total = 0;
    for (int i = 0; i < writer.ncommits; i++)
        total += writer.sizes[i];
    assert_int_equal(total, 4);
    assert_true(writer.positions[writer.ncommits - 1] == 2);
    assert_int_equal(fx.stream.step, 6);
    done_loop(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping_and_ramp),
        cmocka_unit_test(test_pause_restarts_ramp),
        cmocka_unit_test(test_commits_in_flight),
        cmocka_unit_test(test_commits_collected),
        cmocka_unit_test(test_handoff_stops_exactly),
        cmocka_unit_test(test_fail_mid_transaction),
        /* Last: a stop request cannot be taken back. */
        cmocka_unit_test(test_stop_mid_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
