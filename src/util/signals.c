/*
 * signals.c: stop requests (see signals.h).  The handler only sets a flag;
 * everything else happens in the threads that poll it, except on a second
 * signal, where it writes the last words set beforehand (write(2) and
 * _exit(2) are safe in a handler) and ends the process.
 */
#include "util/signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "util/result.h"

static atomic_bool stop_requested;
static _Atomic(const char *) last_words;
static atomic_size_t last_words_len;

static void
on_stop_signal(int sig)
{
    (void) sig;
    if (!atomic_exchange(&stop_requested, true))
        return;
    const char *text = atomic_load(&last_words);
    if (!text)
        return;
    ssize_t n = write(STDERR_FILENO, text, atomic_load(&last_words_len));
    (void) n;
    _exit(GW_ERR_INTERNAL);
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

void
signals_set_last_words(const char *text)
{
    atomic_store(&last_words, NULL);
    atomic_store(&last_words_len, text ? strlen(text) : 0);
    atomic_store(&last_words, text);
}
