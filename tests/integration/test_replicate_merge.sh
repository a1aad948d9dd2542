#!/usr/bin/env bash
# replicate's set-based apply (pg_apply_stage.c: changes staged per table, sent as one statement
# with an array per column, keeping the last change of each key), checked by independent SQL:
#   one source transaction with thousands of changes that hit the same keys again and again:
#          inserts, updates of every column, key moves (a key moving onto a key deleted earlier in
#          the transaction), deletes, re-inserts of deleted keys, one hot row updated 500 times;
#   values that array literals must escape (quotes, backslashes, tabs, newlines, \N and NULL as
#          text), NULL against '', varchar(n), numeric(p,s), arrays, json (kept byte for byte), jsonb,
#          bytea, an enum, char(n), bit(n) and a domain over varchar(n) (cast without their
#          modifiers: 'ab' into char(5) must not become char(1)), a composite key with a "C"
#          collation, identifiers that need quoting;
#   a value too long for the target's column is refused with the table named, nothing is cut, and
#          the stream resumes once the column is widened;
#   a keyless insert-only table (copied straight in);
#   a table with a second unique index and one with foreign keys, whose changes must keep their
#          order (swapping unique values between rows, deleting children before parents);
#   a 25000-change transaction, more than one stage holds, so it is merged in several flushes;
#   small transactions (applied row by row) interleaved with big ones.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_merge) || abort_test "createdb"
register_dbs "$DB"
PHASE=merge

setup_src "$DB" - <<'SQL'
CREATE TYPE "Mood" AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN "Short" AS varchar(4);
CREATE TABLE m (
    id integer PRIMARY KEY, v varchar(12), n numeric(10, 2), t text, tarr text[], j json, jb jsonb,
    b bytea, mood "Mood", ts timestamptz, c char(5), bits bit(4), sh "Short"
);
CREATE TABLE "Comp ""Key""" (region text COLLATE "C", "Id" bigint, payload text, PRIMARY KEY (region, "Id"));
CREATE TABLE log_nokey (at integer, what text);
CREATE TABLE uq (id integer PRIMARY KEY, code text UNIQUE, v integer);
CREATE TABLE parent (id integer PRIMARY KEY, v text);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id), v text);
CREATE TABLE big (id integer PRIMARY KEY, v integer);
INSERT INTO m (id, v, t) SELECT i, 'start' || i, 'before fetch' FROM generate_series(1, 50) i;
INSERT INTO uq SELECT i, 'c' || i, i FROM generate_series(1, 20) i;
INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, 20) i;
INSERT INTO child SELECT i, i, 'c' || i FROM generate_series(1, 20) i;
INSERT INTO big SELECT i, 0 FROM generate_series(1, 25000) i;
SQL

TABLES=(public.m '"Comp ""Key"""' public.log_nokey public.uq public.parent public.child public.big)
ORDERS=(id 'region, "Id"' 'at, what' id id id id)
check_all() {
    local i
    for i in "${!TABLES[@]}"; do
        assert_tables_equal "$DB" "$DB" "${TABLES[$i]}" "${ORDERS[$i]}"
    done
}

gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --jobs 2 || abort_test "fetch failed"

setup_src "$DB" - <<'SQL'
BEGIN;
INSERT INTO m SELECT i, 'v' || i, i / 3.0, E'tab\there\nnew line \\ back\\N', ARRAY['a b', NULL, E'q"uote', '', 'NULL'],
    '{"k" :  1,  "k": [1, 2]}', jsonb_build_object('i', i, 's', E'x\ty'), decode(lpad(to_hex(i), 8, '0'), 'hex'),
    (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::"Mood", '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute'
    FROM generate_series(51, 1500) i;
UPDATE m SET v = NULL, t = '' WHERE id % 5 = 0;
UPDATE m SET n = -n, jb = jb || '{"u": true}' WHERE id % 3 = 0;
DELETE FROM m WHERE id % 7 = 0;
UPDATE m SET id = id + 10000 WHERE id BETWEEN 100 AND 300;
UPDATE m SET id = 7 WHERE id = 10101;               -- onto a key deleted above
INSERT INTO m (id, v, t) SELECT i, 're' || i, 'reinserted' FROM generate_series(14, 700, 7) i;
UPDATE m SET id = id - 10000 WHERE id BETWEEN 10200 AND 10250;   -- back onto its old keys
UPDATE m SET c = 'ab', bits = B'1010', sh = 'x"y\', t = E'"quoted" {braces}, commas \\ NULL' WHERE id BETWEEN 3 AND 40;
INSERT INTO "Comp ""Key""" SELECT r, i, 'p' || i FROM unnest(ARRAY['a', 'B', 'b', 'ä']) r, generate_series(1, 200) i;
UPDATE "Comp ""Key""" SET payload = NULL WHERE "Id" % 2 = 0;
DELETE FROM "Comp ""Key""" WHERE region = 'B' AND "Id" > 100;
UPDATE "Comp ""Key""" SET region = 'B' WHERE region = 'b' AND "Id" > 150;
INSERT INTO log_nokey SELECT i, E'line\t' || i FROM generate_series(1, 800) i;
INSERT INTO log_nokey SELECT 1, E'line\t1' FROM generate_series(1, 5);   -- duplicate rows
-- uq: swap codes between rows through a free value (order matters for the unique index)
UPDATE uq SET code = 'tmp' WHERE id = 1;
UPDATE uq SET code = 'c1' WHERE id = 2;
UPDATE uq SET code = 'c2' WHERE id = 1;
INSERT INTO uq SELECT i, 'c' || i, i FROM generate_series(21, 300) i;
UPDATE uq SET v = -v;
-- parent/child: children go before their parents, new parents before their children
DELETE FROM child WHERE parent_id <= 10;
DELETE FROM parent WHERE id <= 10;
INSERT INTO parent SELECT i, 'p' || i FROM generate_series(21, 200) i;
INSERT INTO child SELECT i, i, 'c' || i FROM generate_series(21, 200) i;
COMMIT;
SQL
# One hot row updated 500 times, each in its own small transaction, then a mixed small one.
for i in $(seq 1 500); do echo "UPDATE m SET n = $i WHERE id = 1;"; done | psql_src "$DB" >/dev/null ||
    abort_test "hot row updates"
setup_src "$DB" "INSERT INTO m (id, v) VALUES (99999, 'small'); DELETE FROM m WHERE id = 2"
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
check_all
assert_eq "500.00" "$(psql_tgt "$DB" "SELECT n FROM m WHERE id = 1" 2>&1)" "hot row m.id = 1 after 500 updates"
assert_eq '{"k" :  1,  "k": [1, 2]}' "$(psql_tgt "$DB" "SELECT j FROM m WHERE id = 51" 2>&1)" "json value kept byte for byte"

# More changes than a stage holds in one transaction, with the replicator running.
bg_replicate REPL "$DB" "$DB" --phase "$PHASE"
setup_src "$DB" - <<'SQL'
BEGIN;
UPDATE big SET v = id;
DELETE FROM big WHERE id % 10 = 0;
UPDATE big SET v = -v WHERE id % 10 = 1;
INSERT INTO big SELECT i, i FROM generate_series(30000, 30100) i;
COMMIT;
UPDATE m SET t = 'after big' WHERE id < 40;
SQL
caught_up_live() {
    local i
    for i in "${!TABLES[@]}"; do
        tables_in_sync "$DB" "$DB" "${TABLES[$i]}" "${ORDERS[$i]}" || return 1
    done
}
if ! wait_for 60 synced_or_gone "$REPL" caught_up_live || ! is_running "$REPL"; then
    fail "the running replicator did not bring every table in step within 60s"
    _gw_dump "$REPL_ERR" "replicate stderr"
fi
stop_bg "$REPL" 30 TERM
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
check_all
assert_eq "22601" "$(psql_tgt "$DB" "SELECT count(*) FROM big" 2>&1)" "rows of big on the target"
assert_eq "5|ab|1010" "$(psql_tgt "$DB" "SELECT octet_length(c) || '|' || rtrim(c) || '|' || bits FROM m WHERE id = 3" 2>&1)" \
    "char(5) and bit(4) through a merge"

# A target column narrower than the source's: the value is refused, never cut, and the stream resumes
# from its checkpoint once the column is widened.
setup_tgt "$DB" "ALTER TABLE m ALTER COLUMN c TYPE char(2)"
setup_src "$DB" "UPDATE m SET c = 'xyz' WHERE id BETWEEN 3 AND 6"
gw_replicate 4 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
assert_contains "$ERR" "public.m"
assert_contains "$ERR" "too long"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM m WHERE c = 'xy'" 2>&1)" "values cut to the target's length"
setup_tgt "$DB" "ALTER TABLE m ALTER COLUMN c TYPE char(5)"
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
check_all

finish
