/*
 * url.h: endpoint URLs: which engine a scheme names, and a redacted form for
 * logs.  The redacted form is the only one that may ever be printed.
 */
#ifndef GW_URL_H
#define GW_URL_H

typedef enum UrlScheme { URL_SCHEME_UNKNOWN, URL_SCHEME_POSTGRES, URL_SCHEME_MYSQL } UrlScheme;

UrlScheme url_scheme(const char *url);

/* Returns a malloc'd copy of url with any password replaced by "***". */
char *url_redact(const char *url);

#endif
