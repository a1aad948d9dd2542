/*
 * sleep.h: waiting, for the loops that poll or back off.
 */
#ifndef GW_SLEEP_H
#define GW_SLEEP_H

void sleep_ms(long ms);
void sleep_seconds(double seconds);
/* Sleeps in small steps, returning early once a stop is requested (SIGTERM, SIGINT). */
void sleep_unless_stopped(double seconds);

#endif
