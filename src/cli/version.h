/*
 * version.h: godwit's version, as --version prints it and the Debian
 * package (make deb) is named.
 */
#ifndef GW_VERSION_H
#define GW_VERSION_H

#define GODWIT_VERSION "0.1.0"

#endif
