#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/NAME/) from the unit tests' material:
pgoutput messages as test_pgoutput.c builds them, the rows events of the binlogs recorded from
MariaDB (tests/unit/fixtures/binlog/) with their TABLE_MAP, MySQL binary JSON documents of
test_rowimage.c, and CockroachDB webhook bodies of test_changefeed_message.c.  Re-run it when those
change: python3 tests/fuzz/make_seeds.py (from the source tree)."""
import os
import shutil
import struct

OUT = "tests/fuzz/corpus"
FIXTURES = "tests/unit/fixtures/binlog"


def write(name, seeds):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, s in enumerate(seeds):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(s)


# ---- pgoutput: records of a 2-byte big-endian length and a message ----

def cstr(s):
    return s.encode() + b"\0"


def relation(relid, nsp, name, ident, cols, keymask):
    m = b"R" + struct.pack(">I", relid) + cstr(nsp) + cstr(name) + ident + struct.pack(">H", len(cols))
    for i, c in enumerate(cols):
        m += bytes([(keymask >> i) & 1]) + cstr(c) + struct.pack(">Ii", 23 + i, -1)
    return m


def text(s):
    return b"t" + struct.pack(">I", len(s)) + s


def tuple_(*vals):
    return struct.pack(">H", len(vals)) + b"".join(vals)


def begin():
    return b"B" + struct.pack(">QqI", 0x16B374D848, 700000000123456, 4242)


def commit():
    return b"C\0" + struct.pack(">QQq", 0x16B374D848, 0x16B374D878, 700000000123456)


def records(*msgs):
    return b"".join(struct.pack(">H", len(m)) + m for m in msgs)


def xlogdata(payload):
    return b"w" + struct.pack(">QQq", 0x100, 0x200, 5) + payload


REL_T = relation(16384, "public", "t", b"d", ["a", "b"], 1)
REL_V = relation(7, "public", "v", b"f", ["a", "b", "c", "d", "e"], 1)
INS_V = b"I" + struct.pack(">I", 7) + b"N" + tuple_(text(b"42"), b"n", b"u", b"b" + struct.pack(">I", 3) + b"\0\1\xff",
                                                     text(b""))
UPD_K = b"U" + struct.pack(">I", 16384) + b"K" + tuple_(text(b"1"), b"n") + b"N" + tuple_(text(b"2"), text(b"hello"))
UPD_O = b"U" + struct.pack(">I", 16384) + b"O" + tuple_(text(b"1"), text(b"x")) + b"N" + tuple_(text(b"1"), b"u")
DEL_K = b"D" + struct.pack(">I", 16384) + b"K" + tuple_(text(b"1"), b"n")
TRUNC = b"T" + struct.pack(">IB", 2, 3) + struct.pack(">II", 16384, 7)
ORIGIN = b"O" + struct.pack(">Q", 0xABCDEF0123) + cstr("godwit:1:a:forward")
MESSAGE = b"M\1" + struct.pack(">Q", 0x1234) + cstr("godwit") + struct.pack(">I", 4) + b"a\0b\n"
TYPE = b"Y" + struct.pack(">I", 90001) + cstr("public") + cstr("mood")
KEEPALIVE = b"k" + struct.pack(">QqB", 0x300, 6, 1)

PGOUTPUT = [
    records(begin(), REL_T, REL_V, INS_V, UPD_K, UPD_O, DEL_K, commit()),
    records(begin(), ORIGIN, REL_T, UPD_K, commit()),
    records(REL_T, REL_V, TRUNC, MESSAGE, TYPE),
    records(xlogdata(begin()), xlogdata(REL_T), xlogdata(UPD_K), KEEPALIVE, xlogdata(commit())),
    records(REL_V, INS_V),
]


# ---- binlog rows events with their TABLE_MAP (fuzz_rowimage.c's layout) ----

TYPES = {  # binlog type -> (catalog kind index in fuzz_rowimage.c's kinds[], attributes)
    1: 0, 2: 0, 9: 0, 3: 0, 8: 0,          # TINY, SHORT, INT24, LONG, LONGLONG: MYV_INT
    4: 4, 5: 5, 246: 3, 16: 6, 13: 13,     # FLOAT, DOUBLE, NEWDECIMAL, BIT, YEAR
    10: 9, 14: 9, 11: 12, 19: 12,          # DATE, NEWDATE, TIME, TIME2
    12: 10, 18: 10, 7: 11, 17: 11,         # DATETIME(2), TIMESTAMP(2)
    15: 7, 253: 7, 254: 7, 141: 7,         # VARCHAR, VAR_STRING, STRING, VARCHAR_COMPRESSED
    252: 8, 140: 8, 255: 8, 245: 16,       # BLOB, BLOB_COMPRESSED, GEOMETRY, JSON
    247: 14, 248: 15,                      # ENUM, SET
}


def binlog_events(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\xfebin"
    pos, checksum = 4, False
    while pos < len(data):
        length = struct.unpack_from("<I", data, pos + 9)[0]
        ev = data[pos:pos + length]
        if ev[4] == 15:                    # FORMAT_DESCRIPTION_EVENT: checksum algorithm before the CRC
            checksum = ev[length - 5] == 1
        yield ev, checksum
        pos += length


def table_map(ev, checksum):
    p = 19
    table_id = struct.unpack_from("<Q", ev[p:p + 6] + b"\0\0")[0]
    p += 8
    p += 1 + ev[p] + 1
    p += 1 + ev[p] + 1
    ncols = ev[p]
    types = ev[p + 1:p + 1 + ncols]
    p += 1 + ncols
    meta = ev[p + 1:p + 1 + ev[p]]
    return table_id, types, meta


def rowimage_seed(types, meta, ev, checksum):
    # STRING's metadata names ENUM/SET in its first byte: take the catalog kind from it.
    cols, m = b"", 0
    for t in types:
        kind = TYPES.get(t, 7)
        size = {4: 1, 5: 1, 246: 2, 16: 2, 19: 1, 18: 1, 17: 1, 15: 2, 253: 2, 254: 2, 141: 2,
                252: 1, 140: 1, 255: 1, 245: 1}.get(t, 0)
        if t == 254 and m < len(meta) and meta[m] in (247, 248):
            kind = TYPES[meta[m]]
        attr, length = 0, 63
        if t in (252, 140) and kind == 8:
            attr = 2                       # binary charset
        if t in (11, 12, 7):
            attr = 3 << 2                  # old temporal types are sized by the column's fsp
        cols += bytes([t, kind, attr, length])
        m += size
    return bytes([len(types) - 1]) + cols + bytes([len(meta)]) + meta + bytes([1 if checksum else 0]) + ev


def rowimage_seeds():
    seeds, seen = [], set()
    for name in ("mariadb-plain.000001", "mariadb-compressed.000001"):
        tables = {}
        for ev, checksum in binlog_events(os.path.join(FIXTURES, name)):
            if ev[4] == 19:                # TABLE_MAP_EVENT
                tid, types, meta = table_map(ev, checksum)
                tables[tid] = (types, meta)
            elif ev[4] in (23, 24, 25, 30, 31, 32, 166, 167, 168, 169, 170, 171):
                tid = struct.unpack_from("<Q", ev[19:25] + b"\0\0")[0]
                types, meta = tables[tid]
                if len(types) > 16 or len(ev) > 4096:
                    continue
                key = (bytes(types), ev[4])
                if key in seen and len(seeds) > 40:
                    continue
                seen.add(key)
                seeds.append(rowimage_seed(types, meta, ev, checksum))
    return seeds


# MySQL binary JSON (test_rowimage.c): an object {"a": 1, "b": [true, null]}-like document, a string,
# an array, a literal and an int.
JSON_BINARY = [
    bytes([0x00, 0x02, 0x00, 0x21, 0x00, 0x12, 0x00, 0x01, 0x00, 0x13, 0x00, 0x02, 0x00,
           0x05, 0xfe, 0xff, 0x00, 0x15, 0x00, ord('a'), ord('b'), ord('b'),
           0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, ord('c')]),
    bytes([0x0c, 0x03]) + b"abc",
    bytes([0x02, 0x02, 0x00, 0x0a, 0x00, 0x04, 0x01, 0x00, 0x04, 0x02, 0x00]),
    bytes([0x04, 0x01]),
    bytes([0x07]) + struct.pack("<i", -42),
    bytes([0x0a]) + struct.pack("<d", 1.5),
    b"",
]


def json_overlap(levels=40):
    """Containers each holding the next one twice: 2^levels values before json_to_text refused them."""
    total = 10 * levels + 4
    doc = b"\x02"
    for k in range(levels):
        doc += struct.pack("<HH", 2, total - 10 * k) + b"\x02" + struct.pack("<H", 10) + b"\x02" + struct.pack("<H", 10)
    return doc + struct.pack("<HH", 0, 4)


JSON_BINARY.append(json_overlap())

CHANGEFEED = [
    b'{"payload":[{"after":{"id":1,"region":"A","flags":[true,null],"tags":["a b","{q}",null],"doc":{"a":[1,"x"]}},"key":[1],'
    b'"topic":"orders","updated":"1629813621680097993.0000000000"}],"length":1}',
    b'{"payload": [{"after": {"id": 1, "region": "B", "flags": null, "tags": [], "doc": "s"}, "before": {"id": 1, '
    b'"region": "A", "flags": [false], "tags": null, "doc": null}, "key": [1], "topic": "orders", "updated": '
    b'"1701102311425045162.0000000000"}, {"after": null, "before": {"id": 1, "region": "B", "flags": null, '
    b'"tags": ["x"], "doc": 2.5e10}, "key": [1], "topic": "orders", "updated": "1701102320607990564.0000000001"}, '
    b'{"after": {"id": 2, "region": "\\u00fc\\n", "flags": [], "tags": ["\\"", "NULL"], "doc": [true]}, "before": null, "key": [2], '
    b'"topic": "orders", "updated": "1701102305519323705.0000000000"}]}',
    b'{"payload":[{"after":{"id":3,"region":"C","flags":null,"tags":null,"doc":null,"rowid":123},"key":[123],'
    b'"topic":"orders","updated":"1.0"},{"after":null,"key":[4],"topic":"orders","updated":"2.1"}]}',
    b'{"resolved":"1629813621680097993.0000000000"}',
    b'{"payload":[],"length":0}',
]


def main():
    write("pgoutput", PGOUTPUT)
    write("rowimage", rowimage_seeds())
    write("json_binary", JSON_BINARY)
    write("changefeed", CHANGEFEED)


if __name__ == "__main__":
    main()
