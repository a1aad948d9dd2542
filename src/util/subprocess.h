/*
 * subprocess.h: runs another program (the field's own tools, such as
 * pg_dump) and collects what it printed.
 */
#ifndef GW_SUBPROCESS_H
#define GW_SUBPROCESS_H

#include <stdbool.h>

typedef struct ProgramRun {
    char *out;              /* everything it wrote on stdout, NUL-terminated */
    char *err;              /* and on stderr */
    int status;             /* its exit status; -1 when it did not run or was killed */
} ProgramRun;

/*
 * Runs argv[0] (looked up in PATH when it has no slash) with argv, in this
 * process's environment less every variable named in unset (NULL-terminated,
 * may be NULL) and plus the "NAME=value" strings of set (NULL-terminated,
 * may be NULL): secrets go to the child this way, never on its command line.
 * false when it could not be started (run->err says why).
 */
bool program_run(const char *const *argv, const char *const *unset, const char *const *set, ProgramRun *run);
void program_run_free(ProgramRun *run);

#endif
