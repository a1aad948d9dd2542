/*
 * signals.h: SIGINT and SIGTERM set a flag that long-running work polls, so
 * that a command stops at a safe point instead of dying mid-transaction.
 */
#ifndef GW_SIGNALS_H
#define GW_SIGNALS_H

#include <stdbool.h>

void signals_install(void);
bool signals_stop_requested(void);

#endif
