/*
 * fuzz_common.h: what the libFuzzer targets share.  fuzz_touch() reads every
 * byte a decoder handed back, so that a pointer or length past the input is
 * an AddressSanitizer report, not a silent wrong value.
 */
#ifndef GW_FUZZ_COMMON_H
#define GW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

static volatile uint8_t fuzz_sink;

static inline void
fuzz_touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc ^= b[i];
    fuzz_sink ^= acc;
}

/* A NUL-terminated string handed back by a decoder: strlen must stay inside its buffer. */
static inline void
fuzz_touch_str(const char *s)
{
    if (s != NULL)
        fuzz_touch(s, __builtin_strlen(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
