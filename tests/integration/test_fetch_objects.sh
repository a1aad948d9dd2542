#!/usr/bin/env bash
# A whole application database, PostgreSQL -> PostgreSQL: fetch makes every object of the fetched
# tables' schemas on the target, not only the tables, and the application works there after cutover.
# The source has what applications have: extensions (citext for a column, pg_trgm for an index, in a
# schema of their own), an enum, a domain, a composite and a range type, a collation; a function
# called by a column default and one by a CHECK; triggers that fill a tsvector and last_update and
# write a log table; a cascading foreign key; monthly partitions with a default partition and a
# trigger on the partitioned table, and a partition's own index, check and foreign key; an inheritance hierarchy with an INSERT rule and a child without
# a key; views on views and on a set-returning function; a materialized view; an aggregate, a
# procedure, extended statistics, comments; a standalone sequence the application calls nextval() on;
# and an extension the target does not have, used by a view and by one table's column.
# - A fetch of the table whose column needs the missing extension is refused before anything is made,
#   and so is one whose view needs it, naming them; once that view is gone, the unused extension is
#   listed as not migrated.
# - After fetch, `pg_dump --schema-only` of both databases are the same, except that extension;
#   the materialized view's rows are computed; the standalone sequence is in step.
# - replicate, under writes that fire the source's triggers and move rows between partitions, ends
#   equal; after cutover the application's writes on the target fire the target's triggers (the
#   tsvector is filled, the log written); failback ends equal.
# - With --privileges, owners and grants are as on the source; one naming a role the target lacks is
#   listed as not migrated, and its object is made all the same.
# - Into a target whose role is no superuser (godwit's apply cannot run as a replica there), the
#   triggers and rules are not made, and the report says why: they would fire for replicated changes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_objects) || abort_test "createdb"
DB2=$(new_dbs gw_objects_app) || abort_test "createdb"
DB3=$(new_dbs gw_objects_priv) || abort_test "createdb"
register_dbs "$DB" "$DB2" "$DB3"

# An extension only the source has: installed from files that are removed once the source made it.
EXT=gw_test_missing_ext
EXTDIR="$(pg_config --sharedir)/extension"
[ -w "$EXTDIR" ] || abort_test "needs write access to $EXTDIR (run as root, as CI does)"
printf "default_version = '1.0'\nrelocatable = true\n" >"$EXTDIR/$EXT.control"
cat >"$EXTDIR/$EXT--1.0.sql" <<'SQL'
CREATE DOMAIN missing_code AS text CHECK (VALUE <> '');
CREATE FUNCTION missing_double(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
SQL
psql_src "$DB" "CREATE EXTENSION $EXT" >"$GW_OUT/ext.log" 2>&1
made=$?
rm -f "$EXTDIR/$EXT.control" "$EXTDIR/$EXT--1.0.sql"
[ "$made" = 0 ] || abort_test "CREATE EXTENSION $EXT on the source: $(head -c 300 "$GW_OUT/ext.log")"

setup_src "$DB" - <<'SQL'
CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE EXTENSION pg_trgm WITH SCHEMA ext;
CREATE TYPE rating AS ENUM ('G', 'PG', 'R');
CREATE DOMAIN year AS integer CHECK (VALUE BETWEEN 1900 AND 2155);
CREATE TYPE money_pair AS (amount numeric(8,2), currency char(3));
CREATE TYPE price_range AS RANGE (subtype = numeric);
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE SEQUENCE code_seq;
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'F' || lpad(nextval('public.code_seq')::text, 6, '0') $$;
CREATE FUNCTION valid_code(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 ~ '^F[0-9]{6}$' $$;
CREATE SEQUENCE invoice_no START 1000;   -- standalone: the application calls nextval() on it

CREATE TABLE film (
    film_id serial PRIMARY KEY,
    code text NOT NULL DEFAULT next_code() CHECK (valid_code(code)),
    title ext.citext NOT NULL,
    original_title text COLLATE nocase,
    release_year year,
    rating rating DEFAULT 'G',
    price money_pair,
    price_band price_range,
    fulltext tsvector NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now());
COMMENT ON TABLE film IS 'a film';
COMMENT ON COLUMN film.fulltext IS 'kept by film_stamp';
CREATE INDEX film_title_trgm ON film USING gin (title ext.gin_trgm_ops);
CREATE INDEX film_fulltext ON film USING gist (fulltext);
CREATE STATISTICS film_stats (dependencies) ON rating, release_year FROM film;
CREATE TABLE film_log (id bigserial PRIMARY KEY, film_id integer NOT NULL, what text NOT NULL);
CREATE TABLE inventory (inventory_id serial PRIMARY KEY,
                        film_id integer NOT NULL REFERENCES film ON DELETE CASCADE);
CREATE FUNCTION film_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update := clock_timestamp();
    NEW.fulltext := to_tsvector('simple', NEW.title::text);
    RETURN NEW;
END $$;
COMMENT ON FUNCTION film_stamp() IS 'stamps a film';
CREATE FUNCTION film_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.film_log (film_id, what) VALUES (NEW.film_id, TG_OP || ' ' || NEW.title);
    RETURN NULL;
END $$;
CREATE TRIGGER film_stamp BEFORE INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_stamp();
CREATE TRIGGER film_logged AFTER INSERT OR UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_logged();

CREATE TABLE rental (rental_id serial, rented date NOT NULL, inventory_id integer NOT NULL,
                     last_update timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (rental_id, rented)) PARTITION BY RANGE (rented);
CREATE TABLE rental_2026_01 PARTITION OF rental FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE rental_2026_02 PARTITION OF rental FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE rental_2026_03 PARTITION OF rental FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE rental_other PARTITION OF rental DEFAULT;
CREATE INDEX rental_inventory ON rental (inventory_id);
-- A partition's own index and foreign key (as pagila has them), not its table's.
CREATE INDEX rental_2026_01_updated ON rental_2026_01 (last_update);
ALTER TABLE rental_2026_03 ADD CONSTRAINT rental_2026_03_recent CHECK (rental_id > 0);
CREATE FUNCTION rental_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.last_update := clock_timestamp(); RETURN NEW; END $$;
CREATE TRIGGER rental_stamp BEFORE UPDATE ON rental FOR EACH ROW EXECUTE FUNCTION rental_stamp();

CREATE TABLE payment (payment_id serial PRIMARY KEY, amount numeric(5,2) NOT NULL, paid date NOT NULL);
CREATE TABLE payment_2007_01 (CHECK (paid >= '2007-01-01' AND paid < '2007-02-01')) INHERITS (payment);
ALTER TABLE payment_2007_01 ADD PRIMARY KEY (payment_id);
CREATE TABLE payment_unsorted (note text) INHERITS (payment);
ALTER TABLE payment_unsorted REPLICA IDENTITY FULL;
CREATE RULE payment_2007_01_insert AS ON INSERT TO payment
    WHERE paid >= '2007-01-01' AND paid < '2007-02-01' DO INSTEAD INSERT INTO payment_2007_01 VALUES (NEW.*);

CREATE FUNCTION films_after(integer) RETURNS SETOF film LANGUAGE sql STABLE AS
    $$ SELECT * FROM public.film WHERE film_id > $1 $$;
CREATE VIEW film_list AS SELECT film_id, title, rating FROM film;
CREATE VIEW family_films AS SELECT * FROM film_list WHERE rating = 'G';
CREATE VIEW recent_films AS SELECT film_id, title FROM films_after(100);
CREATE VIEW doubled AS SELECT film_id, missing_double(film_id) AS twice FROM film;
CREATE MATERIALIZED VIEW rentals_per_month AS
    SELECT date_trunc('month', rented) AS month, count(*) AS n FROM rental GROUP BY 1;
CREATE UNIQUE INDEX rentals_per_month_month ON rentals_per_month (month);
CREATE AGGREGATE total_amount(numeric) (sfunc = numeric_add, stype = numeric, initcond = '0');
CREATE PROCEDURE discount(pct numeric) LANGUAGE sql AS $$ UPDATE public.payment SET amount = amount * (1 - pct / 100) $$;
CREATE TABLE needs_missing (id integer PRIMARY KEY, code missing_code);
ALTER TABLE rental_2026_02 ADD CONSTRAINT rental_2026_02_inventory FOREIGN KEY (inventory_id) REFERENCES inventory
    ON DELETE CASCADE;

INSERT INTO film (title, original_title, release_year, rating, price, price_band, fulltext)
    SELECT 'Film ' || i, 'film ' || i, 1990 + i % 30, (ARRAY['G', 'PG', 'R'])[1 + i % 3]::rating,
           ROW(i % 50, 'EUR')::money_pair, price_range(i, i + 10), ''
    FROM generate_series(1, 300) i;
INSERT INTO inventory (film_id) SELECT 1 + i % 300 FROM generate_series(1, 600) i;
INSERT INTO rental (rented, inventory_id) SELECT date '2026-01-01' + (i % 120), 1 + i % 600 FROM generate_series(1, 2000) i;
INSERT INTO payment (amount, paid) SELECT i % 90, date '2006-12-20' + (i % 30) FROM generate_series(1, 300) i;
INSERT INTO payment_unsorted (amount, paid, note) SELECT i, '2008-01-01', 'n' || i FROM generate_series(1, 20) i;
SELECT nextval('invoice_no') FROM generate_series(1, 7);
REFRESH MATERIALIZED VIEW rentals_per_month;
ANALYZE;
SQL

# A column needs the extension the target lacks: refused, nothing made.
gw_fetch 2 "$DB" "$DB" --phase refused --tables public.needs_missing
assert_contains "$ERR" "extension $EXT is not available there"
assert_contains "$ERR" "public.needs_missing.code"
assert_eq 0 "$(user_tables tgt "$DB")" "tables on the target after the refusal"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")" "extensions made"

gw_fetch 2 "$DB" "$DB" --phase p --exclude public.needs_missing
assert_contains "$ERR" "extension $EXT is not available there (its package is not installed), and the fetch needs it: view public.doubled"
assert_eq 0 "$(user_tables tgt "$DB")" "tables on the target after the refusal"
setup_src "$DB" "DROP VIEW doubled"
gw_fetch 0 "$DB" "$DB" --phase p --exclude public.needs_missing --format json || abort_test "fetch"
assert_eq "extension $EXT" "$(jq -r '[.not_migrated[] | "\(.kind) \(.name)"] | join("|")' "$OUT")" "not migrated"
assert_contains "$ERR" "1 of the source schemas' objects are not migrated"

# The schema of both, object by object (pg_dump's own text), less what the report says is not migrated.
schema_of() {   # SIDE
    pg_dump -h 127.0.0.1 -p "$(pg_port "$([ "$1" = src ] && echo "$GW_SRC_SERVER" || echo "$GW_TGT_SERVER")")" \
        -U postgres --schema-only --no-owner --no-publications -N _godwit -T public.needs_missing "$DB" |
        grep -v '^\\' | awk -v ext="$EXT" '
            /^-- Name: / { skip = ($0 ~ "Name: doubled;" || $0 ~ "Name: " ext ";" || $0 ~ "EXTENSION " ext ";") }
            !skip { print }'
}
schema_of src >"$GW_OUT/schema.src" || abort_test "pg_dump source"
schema_of tgt >"$GW_OUT/schema.tgt" || abort_test "pg_dump target"
if ! diff "$GW_OUT/schema.src" "$GW_OUT/schema.tgt" >"$GW_OUT/schema.diff"; then
    fail "pg_dump --schema-only differs (< source, > target): $(head -c 1500 "$GW_OUT/schema.diff")"
fi
assert_ge 60 "$(grep -c '^-- Name: ' "$GW_OUT/schema.tgt")" "objects in the target's schema"

all_equal() {
    assert_tables_equal "$DB" "$DB" public.film t.film_id
    assert_tables_equal "$DB" "$DB" public.film_log t.id
    assert_tables_equal "$DB" "$DB" public.inventory t.inventory_id
    assert_tables_equal "$DB" "$DB" public.rental "t.rental_id, t.rented"
    assert_tables_equal "$DB" "$DB" public.payment "t.payment_id, t.amount"
    for tbl in rental_2026_01 rental_other payment_2007_01 payment_unsorted; do
        assert_eq "$(table_digest src "$DB" "ONLY $tbl" "t")" "$(table_digest tgt "$DB" "ONLY $tbl" "t")" "ONLY $tbl"
    done
}
all_equal
assert_eq "$(psql_src "$DB" "SELECT n FROM rentals_per_month ORDER BY month")" \
    "$(psql_tgt "$DB" "SELECT n FROM rentals_per_month ORDER BY month")" "the materialized view's rows"
assert_eq 1006 "$(psql_tgt "$DB" "SELECT last_value FROM invoice_no")" "the standalone sequence on the target"

# The application on the source while replicate runs: its triggers fire there, rows move months.
bg_replicate REP "$DB" "$DB" --phase p
setup_src "$DB" - <<'SQL'
UPDATE film SET title = title || ' (restored)' WHERE film_id <= 40;
INSERT INTO film (title, fulltext) SELECT 'New ' || i, '' FROM generate_series(1, 20) i;
DELETE FROM film WHERE film_id BETWEEN 100 AND 104;
UPDATE rental SET rented = rented + 31 WHERE rental_id % 9 = 0;
UPDATE rental SET inventory_id = 1 WHERE rental_id % 11 = 0;
INSERT INTO payment (amount, paid) SELECT i, date '2007-01-10' + i FROM generate_series(1, 10) i;
DELETE FROM payment WHERE payment_id % 17 = 0;
SELECT nextval('invoice_no') FROM generate_series(1, 5);
SQL
assert_exit 0 "$GODWIT" cutover --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p --fence \
    --verify full
wait_exit "$REP" 60
assert_eq 0 "$RC" "replicate's exit at the cutover"
all_equal
assert_ge 1011 "$(psql_tgt "$DB" "SELECT last_value FROM invoice_no")" "the standalone sequence after cutover"

# The application on the target: the target's own triggers fire for its writes.
setup_tgt "$DB" - <<'SQL'
INSERT INTO film (title, fulltext) VALUES ('Made On The Target', '');
UPDATE film SET title = 'Renamed' WHERE film_id = 50;
UPDATE rental SET rented = '2026-03-15' WHERE rental_id = 7;
INSERT INTO payment (amount, paid) VALUES (99, '2007-01-31');
SQL
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM film WHERE title IN ('Made On The Target', 'Renamed')
    AND fulltext = to_tsvector('simple', title::text) AND code ~ '^F[0-9]{6}$'")" "the target's triggers and defaults"
assert_eq 2 "$(psql_tgt "$DB" "SELECT count(*) FROM film_log WHERE what IN ('INSERT Made On The Target', 'UPDATE Renamed')")" \
    "the target's log trigger"
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM ONLY payment_2007_01 WHERE amount = 99")" "the target's rule"
assert_exit 0 "$GODWIT" failback --source "$(src_url "$DB")" --target "$(tgt_url "$DB")" --phase p \
    --stop-when-caught-up
all_equal

# A target role that is no superuser: the data and objects, but no trigger or rule that would fire again.
setup_tgt postgres "DROP ROLE IF EXISTS gw_objects_app; CREATE ROLE gw_objects_app LOGIN;
    ALTER DATABASE $DB2 OWNER TO gw_objects_app"
APP_URL="postgres://gw_objects_app@127.0.0.1:$(pg_port "$GW_TGT_SERVER")/$DB2"
assert_exit 0 "$GODWIT" fetch --source "$(src_url "$DB")" --target "$APP_URL" --phase q --no-stream \
    --tables public.film,public.film_log,public.payment,public.payment_2007_01 --format json
assert_eq 0 "$(psql_tgt "$DB2" "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")" "triggers made"
assert_eq 0 "$(psql_tgt "$DB2" "SELECT count(*) FROM pg_rules WHERE schemaname = 'public'")" "rules made"
assert_eq "rule public.payment payment_2007_01_insert|trigger public.film film_logged|trigger public.film film_stamp" \
    "$(jq -r '[.objects[] | select(.why // "" | test("cannot run as a replica")) | "\(.kind) \(.name)"] | sort | join("|")' "$OUT")" \
    "triggers and rules not made, with the reason"
assert_tables_equal "$DB" "$DB2" public.film t.film_id
assert_eq 1 "$(psql_tgt "$DB2" "SELECT count(*) FROM pg_views WHERE viewname = 'family_films'")" "views made"

# --privileges: owners and grants as on the source, where the target has the roles.
roles() { for r in "$@"; do printf 'DO $$BEGIN CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL; END$$;\n' "$r"; done; }
roles gw_objects_owner gw_objects_reader gw_objects_source_only | psql_src postgres - >/dev/null || abort_test "roles"
roles gw_objects_owner gw_objects_reader | psql_tgt postgres - >/dev/null || abort_test "roles"
setup_src "$DB" - <<'SQL'
ALTER TABLE film OWNER TO gw_objects_owner;
ALTER FUNCTION film_stamp() OWNER TO gw_objects_owner;
ALTER VIEW film_list OWNER TO gw_objects_owner;
GRANT SELECT ON film TO gw_objects_reader;
GRANT SELECT ON film_list TO gw_objects_source_only;
SQL
gw_fetch 0 "$DB" "$DB3" --phase r --no-stream --tables public.film,public.film_log --privileges --format json
assert_eq "gw_objects_owner gw_objects_owner gw_objects_owner" "$(psql_tgt "$DB3" "SELECT
    (SELECT relowner::regrole FROM pg_class WHERE oid = 'public.film'::regclass) || ' ' ||
    (SELECT proowner::regrole FROM pg_proc WHERE oid = 'public.film_stamp()'::regprocedure) || ' ' ||
    (SELECT relowner::regrole FROM pg_class WHERE oid = 'public.film_list'::regclass)")" "owners"
assert_eq t "$(psql_tgt "$DB3" "SELECT has_table_privilege('gw_objects_reader', 'public.film', 'SELECT')")" "a grant"
assert_contains "$OUT" 'role \"gw_objects_source_only\" does not exist'
finish
