/*
 * retry.h: one backoff for every loop that waits before trying again
 * (reconnecting replicators, verify's live recheck).
 *
 * Delays grow exponentially from `initial` up to `cap`.  Jitter spreads
 * them so that many runners losing one server together do not come back in
 * lockstep.  An outage is the time since the first failure not followed by
 * a success; once it has lasted `budget` seconds the caller gives up.
 */
#ifndef GW_RETRY_H
#define GW_RETRY_H

#include <stdbool.h>

typedef enum {
    RETRY_JITTER_NONE,         /* exactly initial, 2 initial, 4 initial ... cap */
    RETRY_JITTER_EQUAL,        /* half the exponential delay fixed, half random */
    RETRY_JITTER_FULL,         /* uniform in [0, exponential delay] */
    RETRY_JITTER_DECORRELATED, /* uniform in [initial, 3 x previous delay], capped */
} RetryJitter;

typedef struct {
    double initial; /* seconds */
    double cap;     /* the longest delay, seconds */
    RetryJitter jitter;
    double budget; /* how long an outage may last, seconds; 0: no limit */
} RetryPolicy;

/* A uniform random number in [0, 1); tests inject their own. */
typedef double (*RetryRandom)(void *ctx);

typedef struct {
    RetryPolicy policy;
    RetryRandom random; /* NULL: rand_r on `seed` */
    void *random_ctx;
    unsigned seed;
    double base;           /* the exponential delay before jitter */
    double last;           /* the delay last returned (decorrelated jitter) */
    double outage_started; /* 0: no outage */
} Retry;

/* Seeds from the process id and the clock, so runners started together differ. */
void retry_init(Retry *r, const RetryPolicy *policy);
void retry_set_random(Retry *r, RetryRandom random, void *ctx);

/*
 * A failure at `now` (seconds, any monotonic origin): starts the outage if
 * none is running.  False once the outage has lasted the budget.
 */
bool retry_failed(Retry *r, double now);
/* The delay to wait before the next attempt; advances the exponential. */
double retry_next_delay(Retry *r);
/* A success: the outage ends and delays start again from `initial`. */
void retry_succeeded(Retry *r);

#endif
