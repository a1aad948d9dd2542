/*
 * runner_lock.h: one runner per stream.  A `replicate` or `failback` (and
 * the streams cutover and rollback run themselves) holds its stream's
 * runner lock on the database the stream writes to for its whole life, on
 * a session of its own; a second runner of the same stream is refused at
 * once, naming where the first runs, unless it is a standby (--standby),
 * which waits and takes over when the first stops or dies.  A runner killed
 * with kill -9 on this host is told from a live one by its process id, and
 * its lock is taken over at once; one on another host, once its database
 * session ends (the lock's session asks for TCP keepalives, so that a
 * machine gone silent ends it within about half a minute).
 */
#ifndef GW_RUNNER_LOCK_H
#define GW_RUNNER_LOCK_H

#include <stdbool.h>

#include "engine/engine.h"
#include "util/result.h"

typedef struct RunnerLock {
    const Endpoint *ep;         /* the database the stream writes to (borrowed) */
    const char *stream;         /* the stream's name, as its checkpoints name it (borrowed) */
    const char *what;           /* "forward replication", "failback": for messages */
    const char *phase;
    EngineConn *conn;           /* the lock's own session; NULL while not held */
    bool was_held;              /* held before: a refusal now means another runner took over */
    bool transient;             /* the last failure was a lost connection, worth retrying */
    /*
     * A hot standby: a live runner holding the lock is waited for, not a
     * refusal, until this process takes the lock or is stopped
     * (stood_down: stopped while it waited, which is no failure).
     */
    bool standby;
    bool stood_down;
} RunnerLock;

void runner_lock_init(RunnerLock *l, const Endpoint *ep, const char *stream, const char *what, const char *phase);
/*
 * Makes sure the lock is held: takes it (on a new session) when it is not,
 * also after its session was lost.  GW_ERR_USAGE, logged: another live
 * runner holds it.  Other errors: l->transient says whether a lost
 * connection caused them.
 */
GwResult runner_lock_hold(RunnerLock *l) GW_MUST_CHECK;
/* Lets go (removing the runner's record) and closes the lock's session. */
void runner_lock_release(RunnerLock *l);

#endif
