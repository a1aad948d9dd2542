#!/usr/bin/env bash
# With --objects none, the fetch report names every object of the fetched tables' schemas that fetch
# does not make on the target, so that nothing is left behind without a line saying so (PostgreSQL
# source; without --objects none they are made: test_fetch_objects):
# - views on views, a materialized view, functions, a procedure, an aggregate, triggers and a rule on
#   a fetched table, types and a domain no column uses, a collation, and an extension are listed
#   (text and --format json), each once, with its kind;
# - what fetch makes is not listed: the tables, a serial's sequence, a standalone sequence, an enum and
#   a domain a column uses; nor what belongs to an extension (only the extension), nor objects of schemas no fetched
#   table is in, nor triggers and rules of tables not fetched;
# - the same list is in the phase's fetch event on the target.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_not_migrated) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE EXTENSION pg_trgm;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TYPE unused_mood AS ENUM ('x');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE DOMAIN "Unused Domain" AS text;
CREATE TYPE pair AS (a integer, b integer);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE film (id serial PRIMARY KEY, title text NOT NULL, m mood, n positive);
CREATE TABLE other (id integer PRIMARY KEY);
CREATE SEQUENCE "Invoice No";
CREATE VIEW film_titles AS SELECT id, title FROM film;
CREATE VIEW "Film Titles 2" AS SELECT title FROM film_titles;
CREATE MATERIALIZED VIEW film_count AS SELECT count(*) AS n FROM film;
CREATE FUNCTION film_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION add_one(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1 + 1';
CREATE PROCEDURE reset_films() LANGUAGE sql AS 'DELETE FROM film';
CREATE AGGREGATE total(integer) (sfunc = int4pl, stype = integer);
CREATE TRIGGER "Film Stamp" BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_stamp();
CREATE TRIGGER other_stamp BEFORE UPDATE ON other FOR EACH ROW EXECUTE FUNCTION film_stamp();
CREATE RULE film_no_blank AS ON INSERT TO film WHERE NEW.title = '' DO INSTEAD NOTHING;
CREATE SCHEMA elsewhere;
CREATE VIEW elsewhere.v AS SELECT 1 AS one;
INSERT INTO film (title, m, n) VALUES ('a', 'ok', 1), ('b', 'sad', 2);
SQL

gw_fetch 0 "$DB" "$DB" --phase p --tables public.film --format json --objects none
EXPECTED='aggregate public.total(integer)
collation public.ci
composite type public.pair
domain public."Unused Domain"
enum type public.unused_mood
extension pg_trgm
function public.add_one(integer)
function public.film_stamp()
materialized view public.film_count
procedure public.reset_films()
range type public.floatrange
rule film_no_blank ON public.film
trigger "Film Stamp" ON public.film
view public."Film Titles 2"
view public.film_titles'
listed=$(jq -r '.not_migrated[] | "\(.kind) \(.name)"' "$OUT" | LC_ALL=C sort)
assert_eq "$(LC_ALL=C sort <<<"$EXPECTED")" "$listed" "objects listed as not migrated (JSON)"
assert_contains "$ERR" "15 object(s) of the fetched tables' schemas are not migrated"
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'Invoice No' AND relkind = 'S'")" \
    "the standalone sequence, made"
event=$(psql_tgt "$DB" "SELECT detail FROM _godwit.events WHERE phase = 'p' AND kind = 'fetch'")
assert_eq "$listed" "$(jq -r '.not_migrated[] | "\(.kind) \(.name)"' <<<"$event" | LC_ALL=C sort)" \
    "the list in the fetch event"

# Text: the same objects, one line each, after the tables.
gw_fetch 0 "$DB" "$DB" --phase q --tables public.other --objects none
assert_contains "$OUT" "not migrated ("
assert_contains_re "$OUT" '^  trigger +other_stamp ON public.other$'
assert_contains_re "$OUT" '^  view +public."Film Titles 2"$'
assert_not_contains "$OUT" "Film Stamp"
assert_not_contains "$OUT" "elsewhere"
finish
