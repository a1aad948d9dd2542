/*
 * hlc.h: CockroachDB hybrid logical clock timestamps, the positions of a
 * changefeed (DESIGN.md, "CockroachDB specifics").
 *
 * Their text form is "<wall>.<logical>": wall time in nanoseconds since the
 * Unix epoch, then the logical counter as the ten digits of a decimal
 * fraction ("1629813621680097993.0000000002").  Two timestamps are compared
 * as the pair (wall, logical) of integers, never as strings or floats: a
 * double cannot hold 19 significant digits.
 */
#ifndef GW_HLC_H
#define GW_HLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Hlc {
    int64_t wall;           /* nanoseconds since 1970-01-01 UTC */
    int64_t logical;        /* the fraction's ten digits as an integer */
} Hlc;

/* Room for any formatted Hlc. */
#define HLC_TEXT_LEN 40

/*
 * Parses "<wall>" or "<wall>.<fraction>" (1 to 10 fraction digits, read as a
 * decimal fraction: ".5" is logical 5000000000), len bytes of text.  False
 * for anything else: signs, spaces, exponents, overflow.
 */
bool hlc_parse(const char *text, size_t len, Hlc *out);
/* "<wall>.<logical, ten digits>"; buf of at least HLC_TEXT_LEN bytes. */
void hlc_format(Hlc h, char *buf, size_t len);
/* <0, 0 or >0 as a is before, equal to or after b. */
int hlc_compare(Hlc a, Hlc b);

#endif
