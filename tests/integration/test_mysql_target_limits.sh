#!/usr/bin/env bash
# After cutover, the application writes on the PostgreSQL target; failback brings its writes to the
# MariaDB source, which must be able to hold them (issue 20).  What a MariaDB column cannot hold is
# refused on the target when the application writes it: a SET member the SET does not define,
# unsigned integers below 0 or above their maximum, a YEAR out of range, a character beyond U+FFFF in
# a utf8mb3 column, a TINYTEXT/TINYBLOB over 255 bytes.  The values the source can hold are written,
# failback goes on, and both sides end equal.  Cutover says which of the source's objects (a view)
# the target does not have.  A column given another type with --type-map gets no
# such check (the operator chose the type).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mariadb_server_start mlim || abort_test "could not start MariaDB"
DB=$(new_dbs gw_mylim) || abort_test "createdb"
register_dbs "$DB"
M=lim
msql() { mariadb_sql mlim "$M" "$@"; }
src() { mariadb_url mlim "$M"; }
mariadb_sql mlim -e "CREATE DATABASE $M" || abort_test "create database"
msql <<'SQL' || abort_test "MariaDB setup"
CREATE TABLE film (id INT PRIMARY KEY, features SET('Trailers','Commentaries','Deleted Scenes'),
    stock TINYINT UNSIGNED, views INT UNSIGNED, released YEAR, title VARCHAR(40) CHARACTER SET utf8mb3,
    note TINYTEXT, thumb TINYBLOB, tags SET('a','b')) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE VIEW film_titles AS SELECT id, title FROM film;
INSERT INTO film VALUES (1, 'Trailers,Deleted Scenes', 3, 100, 2006, 'Academy Dinosaur', 'n', x'00', 'a'),
    (2, '', 0, 0, 1901, 'Ace Goldfinger', NULL, NULL, '');
SQL
echo '{"lim.film.tags": "text"}' >"$GW_OUT/map.json"
assert_exit 0 "$GODWIT" fetch --source "$(src)" --target "$(tgt_url "$DB")" --phase p --type-map "$GW_OUT/map.json" ||
    abort_test "fetch"
assert_exit 0 "$GODWIT" cutover --source "$(src)" --target "$(tgt_url "$DB")" --phase p --quiet-seconds 1 --verify full
# What the source runs that the target does not is said before the writes move.
assert_contains "$ERR" "the source has 1 object(s) the target does not (view lim.film_titles)"

# The application on the target.  refused SQL: the statement fails, naming the table's limit.
refused() {
    if psql_tgt "$DB" "$1" >"$GW_OUT/refused.out" 2>&1; then
        fail "the target accepted what the source cannot hold: $1"
    else
        assert_contains "$GW_OUT/refused.out" "godwit_limit_"
    fi
}
refused "UPDATE lim.film SET features = '{Trailers,Bogus}' WHERE id = 1"
refused "UPDATE lim.film SET stock = 256 WHERE id = 1"
refused "UPDATE lim.film SET stock = -1 WHERE id = 1"
refused "UPDATE lim.film SET views = 4294967296 WHERE id = 1"
refused "UPDATE lim.film SET released = 1900 WHERE id = 1"
refused "UPDATE lim.film SET title = 'Dinosaur 🦕' WHERE id = 1"
refused "UPDATE lim.film SET note = repeat('x', 256) WHERE id = 1"
refused "UPDATE lim.film SET thumb = decode(repeat('00', 256), 'hex') WHERE id = 1"
setup_tgt "$DB" - <<'SQL'
UPDATE lim.film SET features = '{Commentaries,Trailers}', stock = 255, views = 4294967295, released = 2155,
    title = 'Académie Dinosaur', note = repeat('é', 127), thumb = decode(repeat('ff', 255), 'hex')
    WHERE id = 1;
INSERT INTO lim.film VALUES (3, '{}', 0, 0, 0, 'Zero Year', '', '', NULL);
SQL
assert_exit 0 "$GODWIT" failback --source "$(src)" --target "$(tgt_url "$DB")" --phase p --stop-when-caught-up
m=$(msql -e "SELECT id, features, stock, views, released, title, LENGTH(note), HEX(thumb) = REPEAT('FF', 255), tags
    FROM film ORDER BY id") || abort_test "MariaDB rows"
assert_eq "1	Trailers,Commentaries	255	4294967295	2155	Académie Dinosaur	254	1	a" "$(sed -n 1p <<<"$m")" \
    "the application's row on the source after failback"
assert_eq "3	 	0	0	0000	Zero Year	0	0	NULL" "$(sed -n 3p <<<"$m" | sed 's/\t\t/\t \t/')" "the new row on the source"
assert_exit 0 "$GODWIT" verify --source "$(src)" --target "$(tgt_url "$DB")" --phase p
finish
