/*
 * signals.h: SIGINT and SIGTERM set a flag that long-running work polls, so
 * that a command stops at a safe point instead of dying mid-transaction.
 * A second signal, for when the first cannot be acted on soon (a statement
 * that waits on the server), ends the process at once after printing the
 * command's last words, if it set any.
 */
#ifndef GW_SIGNALS_H
#define GW_SIGNALS_H

#include <stdbool.h>

void signals_install(void);
bool signals_stop_requested(void);

/*
 * What a second signal prints (to stderr) before the process exits with
 * GW_ERR_INTERNAL; text must stay valid until cleared with NULL.
 */
void signals_set_last_words(const char *text);

#endif
