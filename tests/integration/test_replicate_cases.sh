#!/usr/bin/env bash
# replicate's row cases, each checked by independent SQL on both sides:
#   TOAST: updates of other columns leave a >100 kB value (sent as "unchanged") intact, also in a
#          REPLICA IDENTITY FULL table without a key; a new big value replaces the old one;
#   primary-key updates (id = id + 1000, and key + value together);
#   REPLICA IDENTITY FULL without a key: UPDATE and DELETE matched on the old row, NULLs in it,
#          duplicate rows (delete one of two identical rows: one remains; update one of two);
#   REPLICA IDENTITY DEFAULT with a key; TRUNCATE (two tables with a foreign key, and restart
#          identity); NULLs; ON DELETE CASCADE;
#   a delete of a row the target does not have (deleted there by hand): no failure;
#   identifiers that need quoting (capitals, spaces, quotes, unicode, a keyword);
#   a table of many types (numeric, NaN/Infinity, bytea with zero bytes, json, jsonb, timestamptz,
#          interval, int[] with NULLs, an enum, uuid, inet, ...), inserted, updated and deleted.
# First as a backlog applied by --stop-when-caught-up, then with the replicator running in the
# background (stopped by SIGINT, as Ctrl-C would), then a last --stop-when-caught-up.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_cases) || abort_test "createdb"
register_dbs "$DB"
PHASE=cases

setup_src "$DB" - <<'SQL'
CREATE TABLE toast (id integer PRIMARY KEY, n integer, big text, small text);
CREATE TABLE toast_full (a integer, big text, note text);
ALTER TABLE toast_full REPLICA IDENTITY FULL;
CREATE TABLE pkup (id integer PRIMARY KEY, v text);
CREATE TABLE nokey (a integer, b text, c numeric);
ALTER TABLE nokey REPLICA IDENTITY FULL;
CREATE TABLE ridef (id bigint PRIMARY KEY, a text, b integer);
CREATE TABLE trunc_parent (id serial PRIMARY KEY, v text);
CREATE TABLE trunc_child (id integer PRIMARY KEY, parent_id integer REFERENCES trunc_parent (id), v text);
CREATE TABLE fk_parent (id integer PRIMARY KEY);
CREATE TABLE fk_child (id integer PRIMARY KEY, parent_id integer REFERENCES fk_parent (id) ON DELETE CASCADE);
CREATE TABLE gone (id integer PRIMARY KEY, v text);
CREATE SCHEMA "Odd ""Schema"" ö";
CREATE TABLE "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" ("Id" integer PRIMARY KEY, "Col With Space" text, "ünï" integer, "select" text, "q""uote" text);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE types (
    id integer PRIMARY KEY,
    n numeric, n2 numeric(12, 3), f8 float8, f4 real, i2 smallint, i8 bigint,
    b bytea, j jsonb, js json, ts timestamptz, tsz timestamp, d date, tm time, iv interval,
    arr integer[], tarr text[], m mood, u uuid, ip inet, cidr_ cidr, mac macaddr,
    bo boolean, c char(5), vc varchar(10), tx text, bits bit varying(16), pt point, rng int4range
);

-- values before the fetch
INSERT INTO toast SELECT i, 0, (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 4000) g), 's' || i
    FROM generate_series(1, 3) i;
INSERT INTO toast_full SELECT i, (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 4000) g), 'n' || i
    FROM generate_series(1, 2) i;
INSERT INTO pkup SELECT i, 'v' || i FROM generate_series(1, 20) i;
INSERT INTO nokey VALUES (1, 'x', 1.5), (1, 'x', 1.5), (2, 'y', NULL), (3, NULL, 3), (4, NULL, NULL), (5, 'd', 5), (5, 'd', 5);
INSERT INTO ridef SELECT i, 'a' || i, i FROM generate_series(1, 10) i;
INSERT INTO trunc_parent (v) SELECT 'p' || i FROM generate_series(1, 5) i;
INSERT INTO trunc_child SELECT i, i, 'c' || i FROM generate_series(1, 5) i;
INSERT INTO fk_parent SELECT generate_series(1, 5);
INSERT INTO fk_child SELECT i, 1 + i % 5 FROM generate_series(1, 20) i;
INSERT INTO gone SELECT i, 'g' || i FROM generate_series(1, 10) i;
INSERT INTO "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" VALUES (1, 'a b', 1, 'sel', 'q'), (2, NULL, NULL, NULL, NULL);
INSERT INTO types (id, n, tx) VALUES (1, 1, 'before fetch');
SQL

TABLES=(public.toast public.toast_full public.pkup public.nokey public.ridef public.trunc_parent public.trunc_child
        public.fk_parent public.fk_child public.gone '"Odd ""Schema"" ö"."Mixed Case ""T"" ñ"' public.types)
ORDERS=(id "a, big, note" id "a, b, c" id id id id id id '"Id"' id)
check_all() {
    local i
    for i in "${!TABLES[@]}"; do
        assert_tables_equal "$DB" "$DB" "${TABLES[$i]}" "${ORDERS[$i]}"
    done
}

gw_fetch 0 "$DB" "$DB" --phase "$PHASE" --jobs 2 || abort_test "fetch failed"
check_all

# A row the target does not have: deleted there by hand (as after a resumed fetch).
setup_tgt "$DB" "DELETE FROM gone WHERE id IN (5, 9)"

# ---- round 1: a backlog
setup_src "$DB" - <<'SQL'
-- TOAST: other columns change, the big value is sent as "unchanged"
UPDATE toast SET n = n + 1 WHERE id = 1;
UPDATE toast SET small = NULL, n = 7 WHERE id = 2;
UPDATE toast SET big = (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 3500) g) WHERE id = 3;
INSERT INTO toast VALUES (4, 0, (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 5000) g), 'new');
UPDATE toast SET n = 40 WHERE id = 4;
UPDATE toast_full SET note = 'changed' WHERE a = 1;
UPDATE toast_full SET a = a + 10 WHERE a = 2;
-- primary key updates
UPDATE pkup SET id = id + 1000;
UPDATE pkup SET id = 1, v = 'moved back' WHERE id = 1005;
-- no key, REPLICA IDENTITY FULL: duplicates and NULLs in the old row
DELETE FROM nokey WHERE ctid = (SELECT min(ctid) FROM nokey WHERE a = 1);
UPDATE nokey SET c = 7 WHERE a = 2;
UPDATE nokey SET b = 'w' WHERE a = 3;
DELETE FROM nokey WHERE a = 4;
UPDATE nokey SET c = 6 WHERE ctid = (SELECT max(ctid) FROM nokey WHERE a = 5);
INSERT INTO nokey VALUES (NULL, NULL, NULL), (NULL, NULL, NULL);
-- REPLICA IDENTITY DEFAULT with a key, NULLs
UPDATE ridef SET a = NULL WHERE id = 1;
UPDATE ridef SET b = NULL, a = 'x' WHERE id = 2;
DELETE FROM ridef WHERE id = 3;
INSERT INTO ridef VALUES (11, NULL, NULL);
-- TRUNCATE of two tables (foreign key between them), restart identity, then new rows
TRUNCATE trunc_parent, trunc_child RESTART IDENTITY;
INSERT INTO trunc_parent (v) VALUES ('after truncate');
INSERT INTO trunc_child VALUES (1, 1, 'after truncate');
-- cascade: the source's delete of the children arrives after the parent's
DELETE FROM fk_parent WHERE id = 2;
-- rows missing on the target
DELETE FROM gone WHERE id = 5;
DELETE FROM gone WHERE id > 8;
-- identifiers
INSERT INTO "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" VALUES (3, 'x y', 3, 'from', 'it''s');
UPDATE "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" SET "Col With Space" = 'changed', "q""uote" = '"' WHERE "Id" = 1;
UPDATE "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" SET "Id" = 20 WHERE "Id" = 2;
DELETE FROM "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" WHERE "Id" = 3;
-- types
INSERT INTO types VALUES
  (2, 12345678901234567890.123456789, 3.5, 'NaN', '-Infinity', -32768, 9223372036854775807,
   '\x00010200ff00'::bytea, '{"a": [1, 2.50, null], "b": {"c": "d\u00e9"}}', '{"k":  1, "k": 2}',
   '2024-02-29 23:59:59.999999+05:30', '1999-12-31 23:59:59.5', '0001-01-01', '24:00:00', '1 year 2 mons -3 days 04:05:06.789',
   ARRAY[1, NULL, 3], ARRAY['a b', NULL, '"q"', 'NULL', ''], 'happy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::1/64', '10.0.0.0/8', '08:00:2b:01:02:03',
   true, 'ab', 'tab	nl
x', E'back\\slash \u00fc \U0001F600', B'1010', '(1.5,-2)', '[3,7)'),
  (3, 'NaN', NULL, 'Infinity', 1.17549435e-38, 0, -1,
   '\x'::bytea, 'null', '[]', 'infinity', '-infinity', 'infinity', '00:00:00', '-178000000 years',
   '{}', '{}', 'sad', '00000000-0000-0000-0000-000000000000', '127.0.0.1', '::/0', 'ff:ff:ff:ff:ff:ff',
   false, '', '', '', B'', '(0,0)', 'empty'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE types SET f8 = 1.0000000000000002, f4 = 3.4028235e+38, n = -0.000000000000000000001, b = '\x0000'::bytea,
    j = j || '{"z": true}', iv = '-1 day +02:00:00', arr = arr || NULL::integer, m = 'ok', ip = '192.168.0.1/24' WHERE id = 2;
UPDATE types SET n = 1, tx = NULL WHERE id = 1;
UPDATE types SET tx = 'was null' WHERE id = 4;
SQL
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
check_all
# The specific outcomes, spelled out.
assert_eq "1|128000|false" "$(psql_tgt "$DB" "SELECT n || '|' || length(big) || '|' || (big IS NULL) FROM toast WHERE id = 1" 2>&1)" \
    "toast row 1 on the target after updating another column (n, length of big, big is null)"
assert_eq "$(psql_src "$DB" "SELECT md5(big) FROM toast WHERE id = 2")" "$(psql_tgt "$DB" "SELECT md5(big) FROM toast WHERE id = 2" 2>&1)" \
    "md5 of the unchanged TOASTed value of toast row 2 on the target"
assert_eq "2" "$(psql_tgt "$DB" "SELECT count(*) FROM toast_full WHERE length(big) = 128000" 2>&1)" "rows of toast_full keeping their 128 kB value"
assert_eq "1,1001,1002,1003" "$(psql_tgt "$DB" "SELECT string_agg(id::text, ',' ORDER BY id) FROM pkup WHERE id < 1004" 2>&1)" \
    "keys of pkup after id = id + 1000 and moving 1005 back to 1"
assert_eq "1" "$(psql_tgt "$DB" "SELECT count(*) FROM nokey WHERE a = 1" 2>&1)" "rows (1,x,1.5) left in nokey after deleting one of two identical rows"
assert_eq "5,6" "$(psql_tgt "$DB" "SELECT string_agg(c::text, ',' ORDER BY c) FROM nokey WHERE a = 5" 2>&1)" "nokey a = 5 after updating one of two identical rows"
assert_eq "p after truncate|1" "$(psql_tgt "$DB" "SELECT 'p ' || v || '|' || id FROM trunc_parent" 2>&1)" "trunc_parent after TRUNCATE ... RESTART IDENTITY and one insert"
assert_eq "0" "$(psql_tgt "$DB" "SELECT count(*) FROM gone WHERE id IN (5, 9, 10)" 2>&1)" "rows of gone deleted on the source"

# ---- round 2: the replicator runs while the source changes
bg_replicate REPL "$DB" "$DB" --phase "$PHASE"
setup_src "$DB" - <<'SQL'
UPDATE toast SET n = n + 100;
UPDATE toast SET small = 'again' WHERE id = 4;
UPDATE toast_full SET note = NULL;
DELETE FROM toast_full WHERE a = 12;
UPDATE pkup SET id = -id WHERE id BETWEEN 1010 AND 1015;
DELETE FROM pkup WHERE id = 1016;
DELETE FROM nokey WHERE a IS NULL AND ctid = (SELECT min(ctid) FROM nokey WHERE a IS NULL);
UPDATE nokey SET a = 10 WHERE a IS NULL;
INSERT INTO nokey VALUES (6, 'six', 6.000);
UPDATE ridef SET a = 'y' || id, b = -id;
TRUNCATE trunc_child;
DELETE FROM fk_child WHERE parent_id = 3;
UPDATE "Odd ""Schema"" ö"."Mixed Case ""T"" ñ" SET "ünï" = 99, "select" = NULL;
INSERT INTO types (id, n, f8, b, j, ts, iv, arr, m, u, ip)
    SELECT 100 + i, i / 7.0, i / 3.0, decode(repeat('00', i), 'hex'), jsonb_build_object('i', i), '2020-01-01 00:00:00+00'::timestamptz + i * interval '1 hour 1 second',
           i * interval '1 day 1 microsecond', ARRAY[i, NULL], 'sad', md5(i::text)::uuid, ('10.0.' || i || '.1')::inet
    FROM generate_series(1, 50) i;
UPDATE types SET f8 = 'NaN', n = 'NaN', j = '{"nested": {"deep": [1, {"x": null}]}}', js = '{"a" : 1}' WHERE id BETWEEN 110 AND 120;
UPDATE types SET b = NULL, arr = ARRAY[NULL, NULL]::integer[], m = NULL WHERE id = 2;
DELETE FROM types WHERE id IN (3, 130);
SQL
# The replicator catches up by itself (polled).
caught_up_live() {
    local i
    for i in "${!TABLES[@]}"; do
        tables_in_sync "$DB" "$DB" "${TABLES[$i]}" "${ORDERS[$i]}" || return 1
    done
}
if ! wait_for 60 synced_or_gone "$REPL" caught_up_live || ! is_running "$REPL"; then
    fail "round 2: the running replicator did not bring every table in step within 60s (running: $(is_running "$REPL" && echo yes || echo no))"
    _gw_dump "$REPL_ERR" "replicate stderr"
fi
stop_bg "$REPL" 30 INT
assert_eq 0 "$RC" "exit status of replicate after SIGINT"
gw_replicate 0 "$DB" "$DB" --phase "$PHASE" --stop-when-caught-up
check_all
assert_eq "101|128000" "$(psql_tgt "$DB" "SELECT n || '|' || length(big) FROM toast WHERE id = 1" 2>&1)" "toast row 1 after round 2"
assert_eq "0" "$(psql_tgt "$DB" "SELECT count(*) FROM toast WHERE big IS NULL" 2>&1)" "toast rows whose big value became NULL on the target"

finish
