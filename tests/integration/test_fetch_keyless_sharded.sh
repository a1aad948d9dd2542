#!/usr/bin/env bash
# A table without a primary key larger than --shard-size is copied in shards of its heap's blocks
# (ctid ranges under the one snapshot), so that no transaction holds it whole (CockroachDB's limit).
# kill -9 once some of its shards are committed and others not, writes on the source meanwhile (inserts, duplicates, updates and deletes of rows
# without a key), then --resume: the table is emptied and copied again whole under the new snapshot
# (its stream cannot tell one shard's changes from another's), its inheritance child's rows kept;
# replicate then brings both sides to the same rows, counted with their duplicates by each server.
# Then two phases sharing the table by a row filter: the resumed one deletes only its own rows.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_keyless_shards) || abort_test "createdb"
TGT=$(new_dbs gw_keyless_shards_t) || abort_test "createdb"
register_dbs "$SRC" "$TGT"
setup_src "$SRC" - <<'SQL'
CREATE TABLE "Event Log" (n int NOT NULL, kind text NOT NULL, body text);
ALTER TABLE "Event Log" REPLICA IDENTITY FULL;
INSERT INTO "Event Log" SELECT i % 50000, 'k' || (i % 7), repeat(md5(i::text), 3) FROM generate_series(1, 600000) i;
CREATE TABLE event_archive (archived_at date NOT NULL DEFAULT '2020-01-01') INHERITS ("Event Log");
ALTER TABLE event_archive REPLICA IDENTITY FULL;
INSERT INTO event_archive (n, kind, body) SELECT i, 'old', 'archived ' || i FROM generate_series(1, 500) i;
CREATE TABLE settings (id int PRIMARY KEY, v text);
INSERT INTO settings SELECT i, 'v' || i FROM generate_series(1, 100) i;
ANALYZE;
SQL
SHARDS="SELECT count(*) FILTER (WHERE done) || '/' || count(*) FROM _godwit.fetch_progress WHERE table_name = 'Event Log'"

# fetch_killed TGT PHASE ARGS...: a fetch of PHASE into TGT, kill -9 once a shard of "Event Log" is
# committed (the others, a dozen copied one after another, are not yet); TOTAL: its shards.
fetch_killed() {
    local t=$1 phase=$2; shift 2
    local shards="$SHARDS AND phase = '$phase'"
    bg_start FETCH "$GODWIT" fetch --source "$(src_url "$SRC")" --target "$(tgt_url "$t")" --phase "$phase" --jobs 1 \
        --shard-size 4 "$@"
    local err=$ERR
    one_shard_done() {
        ! kill -0 "$FETCH" 2>/dev/null && return 0
        local s; s=$(psql_tgt "$t" "$shards" 2>/dev/null) || return 1
        [[ $s =~ ^([1-9][0-9]*)/ ]]
    }
    wait_for 120 one_shard_done || fail "$phase: no shard of \"Event Log\" was committed: $(_gw_first_lines "$err")"
    kill -9 "$FETCH" 2>/dev/null || abort_test "$phase: the fetch ended before it could be killed: $(_gw_first_lines "$err")"
    wait "$FETCH" 2>/dev/null
    local before; before=$(psql_tgt "$t" "$shards")
    note "$phase: shards of \"Event Log\" done when killed: $before"
    [[ $before =~ ^([0-9]+)/([0-9]+)$ ]] || abort_test "$phase: progress of \"Event Log\": $before"
    local done=${BASH_REMATCH[1]}
    TOTAL=${BASH_REMATCH[2]}
    [ "$done" -lt "$TOTAL" ] || abort_test "$phase: every shard was done when killed ($before)"
}
fetch_killed "$TGT" default
assert_ge 6 "$TOTAL" "shards of a 70 MB table without a key at --shard-size 4"

# Writes after the first snapshot, before the next: rows of shards copied and not copied alike.
setup_src "$SRC" - <<'SQL'
INSERT INTO "Event Log" SELECT 7, 'dup', 'same row' FROM generate_series(1, 3);
INSERT INTO "Event Log" SELECT i, 'late', 'after the kill ' || i FROM generate_series(1, 2000) i;
UPDATE "Event Log" SET body = 'updated' WHERE n % 997 = 0 AND kind = 'k1';
DELETE FROM "Event Log" WHERE n % 1009 = 0 AND kind = 'k2';
DELETE FROM event_archive WHERE n <= 10;
SQL
gw_fetch 0 "$SRC" "$TGT" --jobs 2 --shard-size 4 --resume
assert_contains "$ERR" "copied again whole, under this one"
assert_eq "$TOTAL/$TOTAL" "$(psql_tgt "$TGT" "$SHARDS AND phase = 'default'")" "shards of \"Event Log\" done after the resume"
# Later writes come through the stream; those before the resume's snapshot are in its copy.
setup_src "$SRC" - <<'SQL'
INSERT INTO "Event Log" VALUES (7, 'dup', 'same row');
DELETE FROM "Event Log" WHERE kind = 'late' AND n % 3 = 0 AND n < 60;
UPDATE "Event Log" SET kind = 'k9' WHERE n = 12345;
INSERT INTO event_archive (n, kind, body) VALUES (-1, 'old', 'archived after');
SQL
gw_replicate 0 "$SRC" "$TGT" --stop-when-caught-up
# The table with its child's rows (as each side reads it), and its own rows alone.
assert_tables_equal "$SRC" "$TGT" '"Event Log"' "t.n, t.kind, t.body"
only_rows() { "psql_$1" "$2" "SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM ONLY \"Event Log\" t"; }
assert_eq "$(only_rows src "$SRC")" "$(only_rows tgt "$TGT")" "the rows of \"Event Log\" itself (count and md5)"
assert_tables_equal "$SRC" "$TGT" event_archive "t.n, t.kind, t.body, t.archived_at"
assert_tables_equal "$SRC" "$TGT" settings t.id
assert_eq 4 "$(psql_tgt "$TGT" "SELECT count(*) FROM ONLY \"Event Log\" WHERE body = 'same row'")" "duplicate rows on the target"

# Two phases share the table by a row filter: one fetched whole, the other killed between shards and
# resumed.  The resume deletes only its own phase's rows before copying them again; the other's stay.
TGT2=$(new_dbs gw_keyless_shards_p) || abort_test "createdb"
register_dbs "$TGT2"
gw_fetch 0 "$SRC" "$TGT2" --phase low --tables 'public.Event*' --where 'public."Event Log": n < 20000' --shard-size 4
fetch_killed "$TGT2" high --tables 'public.Event*' --where 'public."Event Log": n >= 20000'
setup_src "$SRC" "INSERT INTO \"Event Log\" VALUES (30000, 'high', 'between'), (3, 'low', 'between');
    DELETE FROM \"Event Log\" WHERE kind = 'late' AND n BETWEEN 100 AND 110"
gw_fetch 0 "$SRC" "$TGT2" --phase high --tables 'public.Event*' --where 'public."Event Log": n >= 20000' --shard-size 4 --resume
assert_contains "$ERR" "copied again whole, under this one"
gw_replicate 0 "$SRC" "$TGT2" --phase low --stop-when-caught-up
gw_replicate 0 "$SRC" "$TGT2" --phase high --stop-when-caught-up
assert_eq "$(only_rows src "$SRC")" "$(only_rows tgt "$TGT2")" "the rows of \"Event Log\" from two phases, one resumed"
for where in "n < 20000" "n >= 20000"; do
    assert_eq "$(psql_src "$SRC" "SELECT count(*) FROM ONLY \"Event Log\" WHERE $where")" \
        "$(psql_tgt "$TGT2" "SELECT count(*) FROM ONLY \"Event Log\" WHERE $where")" "rows with $where"
done
finish
