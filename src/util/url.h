/*
 * url.h: endpoint URLs: which engine a scheme names, and where the passwords
 * are in a connection string of any form (URL, libpq keyword/value string,
 * malformed), so that only a redacted form is ever printed.
 */
#ifndef GW_URL_H
#define GW_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef enum UrlScheme { URL_SCHEME_UNKNOWN, URL_SCHEME_POSTGRES, URL_SCHEME_MYSQL } UrlScheme;

UrlScheme url_scheme(const char *url);

/* A secret's bytes in a string: [start, end). */
typedef struct UrlSpan {
    size_t start;
    size_t end;
} UrlSpan;

/* The secrets of s, in order (*out malloc'd, free it); returns their number. */
size_t url_secret_spans(const char *s, UrlSpan **out);

/* Returns a malloc'd copy of url with every password replaced by "***". */
char *url_redact(const char *url);

/* Overwrites every password in s with '*', keeping its length (argv); true if there was one. */
bool url_mask_in_place(char *s);

/*
 * A message that may quote conninfo (libpq's errors do, in full or in
 * parts), with conninfo replaced by its redacted form and every password of
 * it (as written, percent-decoded or unquoted) by "***".  Malloc'd.
 */
char *url_scrub(const char *msg, const char *conninfo);

#endif
