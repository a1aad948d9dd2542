/*
 * runner_lock.c: one runner per stream (see runner_lock.h), engine-neutral:
 * the engines hold the lock (ApplyOps.runner_lock) and record host and pid
 * with it; this file decides whether a holder is alive.
 *
 * A holder recorded on this host whose process is gone (kill -9) still has
 * its database session for a moment, or longer if the server has not noticed
 * yet: that session is ended and the lock taken.  A holder on another host,
 * or one that has not recorded itself, cannot be judged from here: it is
 * taken to be alive, and the new runner refuses.  Nothing here ever ends the
 * session of a live runner.
 */
#include "flow/runner_lock.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/progress.h"
#include "util/signals.h"
#include "util/sleep.h"

/* How long a dead runner's session may take to go once ended. */
#define RUNNER_DEAD_WAIT_S 30.0
/* How long a holder that has not recorded its host and pid is given to do so (or to go). */
#define RUNNER_RECORD_WAIT_S 2.0
#define RUNNER_RETRY_MS 100
/* How often a standby tries the lock again. */
#define RUNNER_STANDBY_POLL_MS 500

void
runner_lock_init(RunnerLock *l, const Endpoint *ep, const char *stream, const char *what, const char *phase)
{
    memset(l, 0, sizeof *l);
    l->ep = ep;
    l->stream = stream;
    l->what = what;
    l->phase = phase;
}

static void
this_runner(RunnerInfo *me)
{
    memset(me, 0, sizeof *me);
    if (gethostname(me->host, sizeof me->host) != 0)
        strcpy(me->host, "localhost");
    me->host[sizeof me->host - 1] = '\0';
    me->pid = (long long) getpid();
    me->recorded = true;
}

/*
 * A holder this process can tell is dead: recorded on this host, with no
 * process of its pid; or this very process, whose lock session was lost
 * (a broken connection the server has not noticed yet): it never runs one
 * stream twice at once.
 */
static bool
holder_dead(const RunnerInfo *h, const RunnerInfo *me)
{
    if (!h->recorded || strcmp(h->host, me->host) != 0 || h->pid <= 0)
        return false;
    return h->pid == me->pid || (kill((pid_t) h->pid, 0) != 0 && errno == ESRCH);
}

static void
refuse(const RunnerLock *l, const RunnerInfo *h)
{
    const char *why = l->was_held ? "it lost its lock (connection lost) and another runner took the stream meanwhile;"
                                    " stopping"
                                  : "refusing to run a second one (stop that one first)";
    if (h->recorded)
        log_error("phase '%s': its %s (stream %s into %s %s) already runs on host %s, pid %lld, since %s: %s",
                  l->phase, l->what, l->stream, role_name(l->ep->role), l->ep->redacted, h->host, h->pid, h->since,
                  why);
    else
        log_error("phase '%s': its %s (stream %s into %s %s) is already run by another process (database session"
                  " %lld, which has not recorded its host and pid): %s",
                  l->phase, l->what, l->stream, role_name(l->ep->role), l->ep->redacted, h->session, why);
}

/* Tries until taken, or refused by a live holder; ends a dead holder's session on the way. */
static GwResult
take(RunnerLock *l)
{
    const EngineOps *ops = l->conn->ops;
    RunnerInfo me, h;
    this_runner(&me);
    double started = progress_now(), deadline = started + RUNNER_DEAD_WAIT_S;
    long long ended = 0;
    bool announced = false;
    for (;;) {
        bool taken = false;
        GwResult rc = ops->apply->runner_lock(l->conn, l->stream, &me, &taken, &h);
        if (rc || taken)
            return rc;
        /* A holder records itself right after taking the lock: one that has not may be just starting, or dead. */
        bool unrecorded_for_now = h.session != 0 && !h.recorded && progress_now() < started + RUNNER_RECORD_WAIT_S;
        bool live = h.session != 0 && !holder_dead(&h, &me) && !unrecorded_for_now;
        if (live && l->standby && !l->was_held) {
            if (!announced)
                log_info("phase '%s': standby: its %s runs on host %s, pid %lld, since %s; taking over when it stops",
                         l->phase, l->what, h.recorded ? h.host : "?", h.pid, h.recorded ? h.since : "?");
            announced = true;
            if (signals_stop_requested()) {
                l->stood_down = true;
                log_info("phase '%s': standby stopped before taking over", l->phase);
                return GW_ERR_USAGE;
            }
            sleep_ms(RUNNER_STANDBY_POLL_MS);
            started = progress_now();
            deadline = started + RUNNER_DEAD_WAIT_S;
            continue;
        }
        if (live) {
            refuse(l, &h);
            return GW_ERR_USAGE;
        }
        if (h.session != 0 && h.recorded && h.session != ended) {
            log_warn("phase '%s': the runner of its %s recorded on %s %s (host %s, pid %lld, since %s) is %s;"
                     " ending its session",
                     l->phase, l->what, role_name(l->ep->role), l->ep->redacted, h.host, h.pid, h.since,
                     h.pid == me.pid ? "this process, whose lock session was lost" : "gone");
            rc = ops->apply->runner_end_holder(l->conn, l->stream, h.session);
            if (rc)
                return rc;
            ended = h.session;
        }
        if (progress_now() >= deadline) {
            log_error("phase '%s': the session of a dead runner of its %s on %s %s did not end within %.0f s",
                      l->phase, l->what, role_name(l->ep->role), l->ep->redacted, RUNNER_DEAD_WAIT_S);
            return role_error(l->ep->role);
        }
        sleep_ms(RUNNER_RETRY_MS);
    }
}

/* Whether the lock's session still holds it; false also when the session is gone. */
static bool
still_held(RunnerLock *l)
{
    bool held = false;
    if (l->conn->ops->apply->runner_held(l->conn, l->stream, &held) != GW_OK || !held) {
        log_warn("phase '%s': the lock of its %s on %s %s was lost with its connection; taking it again", l->phase,
                 l->what, role_name(l->ep->role), l->ep->redacted);
        return false;
    }
    return true;
}

GwResult
runner_lock_hold(RunnerLock *l)
{
    l->transient = false;
    if (l->conn && (!(l->conn->ops->apply && l->conn->ops->apply->runner_held) || still_held(l)))
        return GW_OK;
    engine_close(l->conn);
    l->conn = NULL;
    GwResult rc = engine_connect(l->ep, &l->conn);
    if (rc == GW_OK && l->conn->ops->apply && l->conn->ops->apply->runner_lock)
        rc = take(l);
    if (rc == GW_OK) {
        l->was_held = true;
        return GW_OK;
    }
    l->transient = rc != GW_ERR_USAGE && (!l->conn || l->conn->ops->error_is_transient(l->conn));
    engine_close(l->conn);
    l->conn = NULL;
    return rc;
}

void
runner_lock_release(RunnerLock *l)
{
    if (!l->conn)
        return;
    /* Closing the session lets go too: a failure here changes nothing. */
    const ApplyOps *ao = l->conn->ops->apply;
    if (ao && ao->runner_unlock && ao->runner_unlock(l->conn, l->stream) != GW_OK)
        log_debug("phase '%s': could not remove the record of its %s runner", l->phase, l->what);
    engine_close(l->conn);
    l->conn = NULL;
}
