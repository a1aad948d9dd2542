/*
 * cli_url.c: where a command's database URLs come from, and the command
 * line as it may be printed.
 *
 * A password on the command line is readable by every user of the machine
 * (ps, /proc/PID/cmdline) until main() hides it, so every URL option
 * (--source, --target, of every command) also takes its URL from elsewhere:
 *   --source env:NAME      the environment variable NAME
 *   --source file:PATH     the first line of the file PATH
 *   (no --source)          GODWIT_SOURCE_URL (GODWIT_TARGET_URL for --target)
 * The command line remembered here never holds a password: it is what an
 * interrupted command prints for the operator to run next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "util/url.h"

/* Longest URL file read. */
#define CLI_URL_FILE_MAX 8192

/* URLs read from files: owned here until cli_urls_free(). */
static char **file_urls;
static size_t nfile_urls;
/* The command line, passwords masked, one string per argument. */
static char **command_line;
static int command_argc;

static const char *
default_env(const char *option)
{
    return !strcmp(option, "--source") ? "GODWIT_SOURCE_URL" : !strcmp(option, "--target") ? "GODWIT_TARGET_URL" : NULL;
}

static GwResult
read_url_file(const Command *cmd, const char *option, const char *path, const char **url)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_usage_error(cmd, "%s file:%s: %s", option, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        log_warn("%s file:%s can be read by other users; chmod 600 it", option, path);
    char buf[CLI_URL_FILE_MAX + 1];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n == 0 || memchr(buf, '\0', n))
        return cli_usage_error(cmd, "%s file:%s: expected the URL on its first line", option, path);
    file_urls = gw_realloc(file_urls, (nfile_urls + 1) * sizeof *file_urls);
    file_urls[nfile_urls] = gw_strndup(buf, n);
    *url = file_urls[nfile_urls++];
    return GW_OK;
}

GwResult
cli_url(const Command *cmd, const char *option, const char **url, bool required)
{
    const char *given = *url;
    if (!given) {
        const char *env = default_env(option);
        const char *v = env ? getenv(env) : NULL;
        *url = v && *v ? v : NULL;
        return *url || !required ? GW_OK
                                 : cli_usage_error(cmd, "%s is required (or %s in the environment)", option, env);
    }
    if (!strncmp(given, "env:", 4)) {
        const char *v = getenv(given + 4);
        if (!given[4] || !v || !*v)
            return cli_usage_error(cmd, "%s %s: the environment variable %s is not set", option, given, given + 4);
        *url = v;
        return GW_OK;
    }
    if (!strncmp(given, "file:", 5)) {
        if (!given[5])
            return cli_usage_error(cmd, "%s file: needs a path", option);
        return read_url_file(cmd, option, given + 5, url);
    }
    return GW_OK;
}

/* --source or --target, or an abbreviation getopt would take for one (at least "--so", "--ta"). */
static bool
url_option_name(const char *a, size_t len)
{
    return len >= 4 && (!strncmp(a, "--source", len > 8 ? 9 : len) || !strncmp(a, "--target", len > 8 ? 9 : len));
}

bool
cli_url_argument(char *const *argv, int i, size_t *offset)
{
    const char *a = argv[i];
    const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
    if (eq && url_option_name(a, (size_t) (eq - a))) {
        *offset = (size_t) (eq + 1 - a);
        return true;
    }
    *offset = 0;
    return i > 0 && !strchr(argv[i - 1], '=') && url_option_name(argv[i - 1], strlen(argv[i - 1]));
}

void
cli_remember_command_line(int argc, char **argv)
{
    command_line = gw_calloc((size_t) argc + 1, sizeof *command_line);
    command_argc = argc;
    for (int i = 0; i < argc; i++) {
        size_t off;
        if (!cli_url_argument(argv, i, &off)) {
            command_line[i] = gw_strdup(argv[i]);
            continue;
        }
        char *value = url_redact(argv[i] + off);
        command_line[i] = gw_asprintf("%.*s%s", (int) off, argv[i], value);
        free(value);
    }
}

/* An argument as a POSIX shell reads it back: bare when safe, 'single quoted' otherwise. */
static void
append_shell_word(StrBuf *sb, const char *a)
{
    if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@=,+%-") == strlen(a)) {
        strbuf_append(sb, a);
        return;
    }
    strbuf_append_char(sb, '\'');
    for (; *a; a++) {
        if (*a == '\'')
            strbuf_append(sb, "'\\''");
        else
            strbuf_append_char(sb, *a);
    }
    strbuf_append_char(sb, '\'');
}

char *
cli_command_line(const char *add)
{
    StrBuf sb;
    strbuf_init(&sb);
    bool has = false;
    for (int i = 0; i < command_argc; i++) {
        if (i)
            strbuf_append_char(&sb, ' ');
        append_shell_word(&sb, i == 0 ? "godwit" : command_line[i]);
        has = has || (add && !strcmp(command_line[i], add));
    }
    if (add && !has) {
        strbuf_append_char(&sb, ' ');
        strbuf_append(&sb, add);
    }
    return strbuf_take(&sb);
}

void
cli_urls_free(void)
{
    for (size_t i = 0; i < nfile_urls; i++) {
        /* A URL read from a file held a password: leave no copy in freed memory. */
        memset(file_urls[i], 0, strlen(file_urls[i]));
        free(file_urls[i]);
    }
    free(file_urls);
    file_urls = NULL;
    nfile_urls = 0;
    for (int i = 0; i < command_argc; i++)
        free(command_line[i]);
    free(command_line);
    command_line = NULL;
    command_argc = 0;
}
