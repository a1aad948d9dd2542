/*
 * retry.c: exponential backoff with jitter (retry.h).
 */
#include "util/retry.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double
uniform(Retry *r)
{
    if (r->random)
        return r->random(r->random_ctx);
    return (double) rand_r(&r->seed) / ((double) RAND_MAX + 1.0);
}

void
retry_init(Retry *r, const RetryPolicy *policy)
{
    r->policy = *policy;
    r->random = NULL;
    r->random_ctx = NULL;
    r->seed = (unsigned) getpid() ^ (unsigned) time(NULL);
    retry_succeeded(r);
}

void
retry_set_random(Retry *r, RetryRandom random, void *ctx)
{
    r->random = random;
    r->random_ctx = ctx;
}

bool
retry_failed(Retry *r, double now)
{
    if (r->outage_started == 0)
        r->outage_started = now;
    return r->policy.budget <= 0 || now - r->outage_started < r->policy.budget;
}

static double
capped(const Retry *r, double d)
{
    return d > r->policy.cap ? r->policy.cap : d;
}

/*
 * Decorrelated jitter grows from the delay last waited, not from a count
 * of attempts: a random short wait keeps the next one short too.
 */
double
retry_next_delay(Retry *r)
{
    double base = r->base, delay;
    switch (r->policy.jitter) {
    case RETRY_JITTER_EQUAL:
        delay = base / 2 + base / 2 * uniform(r);
        break;
    case RETRY_JITTER_FULL:
        delay = base * uniform(r);
        break;
    case RETRY_JITTER_DECORRELATED:
        delay = capped(r, r->policy.initial + (r->last * 3 - r->policy.initial) * uniform(r));
        break;
    default:
        delay = base;
        break;
    }
    r->base = capped(r, base * 2);
    r->last = delay;
    return delay;
}

void
retry_succeeded(Retry *r)
{
    r->base = capped(r, r->policy.initial);
    r->last = r->base;
    r->outage_started = 0;
}
