/*
 * fuzz_json_binary.c: libFuzzer target for MySQL 8's binary JSON decoder
 * (engine/mysql/mysql_json_binary.c, rowimage_json_to_text): the input is the
 * value of a JSON column after its length prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mysql/mysql_rowimage.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly the input, so that a read past its end is caught. */
    uint8_t *doc = malloc(size ? size : 1);
    memcpy(doc, data, size);
    StrBuf sb;
    strbuf_init(&sb);
    char err[256];
    if (rowimage_json_to_text(doc, size, &sb, err, sizeof err) == 0)
        fuzz_touch(sb.data, sb.len);
    strbuf_free(&sb);
    free(doc);
    return 0;
}
