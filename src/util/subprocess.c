/*
 * subprocess.c: see subprocess.h.  The child's output goes to unlinked
 * temporary files rather than pipes, so that a large output and a chatty
 * stderr can never block each other.
 */
#include "util/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/mem.h"

extern char **environ;

/* An unlinked temporary file, open for reading and writing; -1 on error. */
static int
temp_fd(void)
{
    const char *dir = getenv("TMPDIR");
    char *path = gw_asprintf("%s/godwit-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd;
}

static char *
slurp(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = gw_malloc(cap);
    if (lseek(fd, 0, SEEK_SET) == 0) {
        for (;;) {
            if (len + 1 >= cap) {
                cap *= 2;
                buf = gw_realloc(buf, cap);
            }
            ssize_t n = read(fd, buf + len, cap - len - 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            len += (size_t) n;
        }
    }
    buf[len] = '\0';
    return buf;
}

static bool
unset_has(const char *const *unset, const char *entry)
{
    for (size_t i = 0; unset && unset[i]; i++) {
        size_t n = strlen(unset[i]);
        if (!strncmp(entry, unset[i], n) && entry[n] == '=')
            return true;
    }
    return false;
}

/* environ less unset, plus set: an array of borrowed strings. */
static char **
child_environment(const char *const *unset, const char *const *set)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    for (size_t i = 0; set && set[i]; i++)
        k++;
    char **env = gw_calloc(n + k + 1, sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!unset_has(unset, environ[i]))
            env[m++] = environ[i];
    for (size_t i = 0; i < k; i++)
        env[m++] = (char *) set[i];
    return env;
}

bool
program_run(const char *const *argv, const char *const *unset, const char *const *set, ProgramRun *run)
{
    memset(run, 0, sizeof *run);
    run->status = -1;
    int out = temp_fd(), err = temp_fd();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    if (err >= 0)
        posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
    char **env = child_environment(unset, set);
    pid_t pid;
    int rc = out < 0 || err < 0 ? errno
                                : posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *) argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc == 0) {
        int status = 0;
        pid_t got;
        while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
        run->status = got == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        run->out = slurp(out);
        run->err = slurp(err);
    } else {
        run->out = gw_strdup("");
        run->err = gw_asprintf("cannot run %s: %s", argv[0], strerror(rc));
    }
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    return rc == 0;
}

void
program_run_free(ProgramRun *run)
{
    free(run->out);
    free(run->err);
    memset(run, 0, sizeof *run);
}
