/*
 * signals.c: stop requests (see signals.h).  The handler only sets a flag;
 * everything else happens in the threads that poll it.
 */
#include "util/signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static atomic_bool stop_requested;

static void
on_stop_signal(int sig)
{
    (void) sig;
    atomic_store(&stop_requested, true);
}

void
signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A server closing a connection must surface as an error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
}

bool
signals_stop_requested(void)
{
    return atomic_load(&stop_requested);
}
