#!/usr/bin/env bash
# bench/pipe_table.sh TABLE: the raw pipe of bench/fetch.sh for one table (SRC, TGT: URLs).
set -euo pipefail
t=$1
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY $t TO STDOUT" |
    psql -X -q -v ON_ERROR_STOP=1 -d "$TGT" -c "COPY $t FROM STDIN"
