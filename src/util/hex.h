/*
 * hex.h: hexadecimal digits, both ways (LSNs, bit and byte literals, URL
 * escapes, JSON \u escapes).
 */
#ifndef GW_HEX_H
#define GW_HEX_H

/* "0123456789abcdef" */
extern const char hex_lower_digits[16];

/* The value of one hex digit (either case), or -1 when c is not one. */
int hex_digit_value(char c);

#endif
