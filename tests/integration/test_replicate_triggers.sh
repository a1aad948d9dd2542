#!/usr/bin/env bash
# Replicated changes fire none of the writer's triggers, rules or foreign-key actions (PostgreSQL ->
# PostgreSQL), as with PostgreSQL's own logical replication: what the source's fired is in the stream
# already.  The application's schema is made on the target beforehand, its triggers and rule included
# (pg_dump --schema-only, then fetch --schema existing), as an operator who keeps those objects does:
# - film: a BEFORE trigger stamps last_update with the clock and fills a tsvector; an AFTER trigger
#   writes film_log, another table of the phase.  After updates, inserts and deletes on the source,
#   replicate leaves the target equal to the source in every column of every table (the target's
#   triggers would have stamped other times and logged each change twice);
# - tag has an INSERT rule: the apply's INSERT ... ON CONFLICT into it works;
# - film_actor references film ON DELETE CASCADE: the source's cascade arrives as its own deletes;
# - a trigger the target enables ALWAYS still fires for replicated changes, as for PostgreSQL's apply;
# - after cutover the application's writes on the target fire the target's triggers as usual, and
#   failback into the source (same triggers and rule) fires none of the source's: both sides equal.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_repl_trig) || abort_test "createdb"
register_dbs "$DB"

setup_src "$DB" - <<'SQL'
CREATE TABLE film (id integer PRIMARY KEY, title text NOT NULL, fulltext tsvector NOT NULL,
                   last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE film_log (id bigserial PRIMARY KEY, film_id integer NOT NULL, what text NOT NULL);
CREATE TABLE film_actor (film_id integer NOT NULL REFERENCES film ON DELETE CASCADE, actor text NOT NULL,
                         PRIMARY KEY (film_id, actor));
CREATE TABLE tag (id integer PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION film_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update := clock_timestamp();
    NEW.fulltext := to_tsvector('simple', NEW.title);
    RETURN NEW;
END $$;
CREATE FUNCTION film_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO film_log (film_id, what) VALUES (NEW.id, TG_OP || ' ' || NEW.title);
    RETURN NULL;
END $$;
CREATE TRIGGER film_stamp BEFORE INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_stamp();
CREATE TRIGGER film_logged AFTER INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_logged();
CREATE RULE tag_no_blank AS ON INSERT TO tag WHERE NEW.name = '' DO INSTEAD NOTHING;
INSERT INTO film (id, title, fulltext) SELECT i, 'film ' || i, '' FROM generate_series(1, 200) i;
INSERT INTO film_actor SELECT i, 'actor ' || a FROM generate_series(1, 200) i, generate_series(1, 3) a;
INSERT INTO tag SELECT i, 'tag ' || i FROM generate_series(1, 20) i;
SQL

# The application's schema on the target, objects and all, before any data.
pg_dump -h 127.0.0.1 -p "$(pg_port "$GW_SRC_SERVER")" -U postgres --schema-only --no-owner "$DB" \
    >"$GW_OUT/schema.sql" 2>&1 || abort_test "pg_dump: $(head -3 "$GW_OUT/schema.sql")"
psql_tgt "$DB" - <"$GW_OUT/schema.sql" >"$GW_OUT/restore.log" 2>&1 || abort_test "restoring the schema on the target: $(head -3 "$GW_OUT/restore.log")"
# Target only: a trigger enabled ALWAYS fires for replicated changes too (it counts them in a table of its own).
setup_tgt "$DB" - <<'SQL'
CREATE TABLE film_seen (film_id integer, op text);
CREATE FUNCTION film_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.film_seen VALUES (NEW.id, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER film_seen AFTER INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_seen();
ALTER TABLE film ENABLE ALWAYS TRIGGER film_seen;
SQL
TABLES=public.film,public.film_log,public.film_actor,public.tag
gw_fetch 0 "$DB" "$DB" --phase p --tables "$TABLES" --schema existing || abort_test "fetch"

all_equal() {   # WHAT
    assert_tables_equal "$DB" "$DB" public.film t.id
    assert_tables_equal "$DB" "$DB" public.film_log t.id
    assert_tables_equal "$DB" "$DB" public.film_actor "t.film_id, t.actor"
    assert_tables_equal "$DB" "$DB" public.tag t.id
}
all_equal
seen_after_load=$(psql_tgt "$DB" "SELECT count(*) FROM film_seen")

# The application on the source: every statement fires its triggers (and its rule, for the blank tag).
setup_src "$DB" - <<'SQL'
UPDATE film SET title = title || ' (restored)' WHERE id <= 40;
INSERT INTO film (id, title, fulltext) SELECT i, 'new film ' || i, '' FROM generate_series(201, 230) i;
DELETE FROM film WHERE id BETWEEN 100 AND 109;
INSERT INTO tag VALUES (21, 'tag 21'), (22, ''), (23, 'tag 23');
UPDATE tag SET name = 'renamed' WHERE id = 3;
SQL
gw_replicate 0 "$DB" "$DB" --phase p --stop-when-caught-up
assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM film_actor WHERE film_id BETWEEN 100 AND 109")" \
    "the source's cascade"
all_equal
assert_eq 70 "$(($(psql_tgt "$DB" "SELECT count(*) FROM film_seen") - seen_after_load))" \
    "changes the ALWAYS trigger saw on the target (40 updates, 30 inserts)"
assert_eq 0 "$(grep -c "session_replication_role" "$ERR")" "a warning about the replica role"

# Cutover: the application moves to the target, whose triggers fire for its writes as usual.
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p --fence \
    --verify none
setup_tgt "$DB" - <<'SQL'
UPDATE film SET title = title || ' (target)', last_update = '2000-01-01' WHERE id BETWEEN 41 AND 50;
INSERT INTO film (id, title, fulltext) VALUES (300, 'made on the target', '');
INSERT INTO tag VALUES (30, 'tag 30');
DELETE FROM film WHERE id = 60;
SQL
assert_eq 10 "$(psql_tgt "$DB" "SELECT count(*) FROM film WHERE id BETWEEN 41 AND 50 AND last_update > '2001-01-01'
    AND fulltext = to_tsvector('simple', title)")" "the target's trigger stamped the application's updates"
assert_eq 11 "$(psql_tgt "$DB" "SELECT count(*) FROM film_log WHERE what LIKE '%target%'")" \
    "the target's trigger logged the application's writes"
assert_exit 0 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p \
    --stop-when-caught-up
all_equal
assert_eq 11 "$(psql_src "$DB" "SELECT count(*) FROM film_log WHERE what LIKE '%target%'")" \
    "the target's log rows on the source, once each"
finish
