/*
 * sleep.c: waiting (sleep.h).
 */
#include "util/sleep.h"

#include <time.h>

#include "util/signals.h"

/* The step of sleep_unless_stopped: how soon a stop request is noticed. */
#define STOP_CHECK_MS 50

void
sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void
sleep_seconds(double seconds)
{
    struct timespec ts = {.tv_sec = (time_t) seconds,
                          .tv_nsec = (long) ((seconds - (double) (time_t) seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

void
sleep_unless_stopped(double seconds)
{
    for (double slept = 0; slept < seconds && !signals_stop_requested(); slept += STOP_CHECK_MS / 1000.0)
        sleep_ms(STOP_CHECK_MS);
}
