#!/usr/bin/env bash
# A MySQL application schema in the manner of the public sample databases, moved to PostgreSQL and
# back the way an operator does it (issue 20): keys that cascade on update and restrict or set NULL
# on delete, through three levels (film -> inventory -> rental -> payment); triggers keeping film_text;
# a view, a procedure and a function; ENUM, SET, YEAR, DECIMAL, TIMESTAMP ON UPDATE, a GEOMETRY
# column carried as bytes (--type-map to bytea, its SPATIAL index left out).
# fetch names what it does not make; changes on MariaDB (a cascading key update through every level,
# a delete that sets NULL) replicate; cutover --fence; the application then writes on PostgreSQL (its
# own trigger keeping film_text, a SET in its own member order, a geometry copied as bytes, a key
# update cascading there) and failback brings it all back without MariaDB's triggers firing again;
# a SET member MariaDB lacks is refused on PostgreSQL when written; rollback makes the triggers fire
# again.  After each step every table is equal on both servers (each server computing its own digest)
# and godwit verify agrees.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_sample_app) || abort_test "create databases"
register_mdbs "$DB"
S=gw_sample_app

setup_m "$DB" - <<'SQL'
SET SESSION time_zone = '+00:00';
CREATE TABLE language (language_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name CHAR(20) NOT NULL,
  last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB;
CREATE TABLE address (address_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, address VARCHAR(50) NOT NULL,
  location GEOMETRY NOT NULL, SPATIAL KEY idx_location (location)) ENGINE=InnoDB;
CREATE TABLE film (film_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, title VARCHAR(128) NOT NULL,
  description TEXT, release_year YEAR, language_id TINYINT UNSIGNED NOT NULL,
  rental_rate DECIMAL(4,2) NOT NULL DEFAULT 4.99, rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT 'G',
  special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes'),
  CONSTRAINT fk_film_language FOREIGN KEY (language_id) REFERENCES language (language_id)
    ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE film_text (film_id SMALLINT NOT NULL PRIMARY KEY, title VARCHAR(255) NOT NULL, description TEXT)
  ENGINE=InnoDB;
CREATE TABLE inventory (inventory_id MEDIUMINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  film_id SMALLINT UNSIGNED NOT NULL, CONSTRAINT fk_inventory_film FOREIGN KEY (film_id) REFERENCES film (film_id)
    ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE rental (rental_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, rental_date DATETIME NOT NULL,
  inventory_id MEDIUMINT UNSIGNED NOT NULL, return_date DATETIME,
  CONSTRAINT fk_rental_inventory FOREIGN KEY (inventory_id) REFERENCES inventory (inventory_id)
    ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE payment (payment_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, rental_id INT,
  amount DECIMAL(5,2) NOT NULL, payment_date DATETIME NOT NULL,
  CONSTRAINT fk_payment_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id)
    ON DELETE SET NULL ON UPDATE CASCADE) ENGINE=InnoDB;
DELIMITER //
CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW BEGIN
  INSERT INTO film_text (film_id, title, description) VALUES (new.film_id, new.title, new.description);
END //
CREATE TRIGGER upd_film AFTER UPDATE ON film FOR EACH ROW BEGIN
  IF (old.title != new.title) OR (old.description != new.description) OR (old.film_id != new.film_id) THEN
    UPDATE film_text SET title = new.title, description = new.description, film_id = new.film_id
      WHERE film_id = old.film_id;
  END IF;
END //
CREATE TRIGGER del_film AFTER DELETE ON film FOR EACH ROW BEGIN
  DELETE FROM film_text WHERE film_id = old.film_id;
END //
CREATE PROCEDURE film_in_stock(IN p_film_id INT, OUT p_count INT)
  SELECT COUNT(*) INTO p_count FROM inventory WHERE film_id = p_film_id //
CREATE FUNCTION rentals_of(p_inventory_id INT) RETURNS INT READS SQL DATA
  RETURN (SELECT COUNT(*) FROM rental WHERE inventory_id = p_inventory_id) //
DELIMITER ;
CREATE VIEW film_list AS SELECT f.film_id, f.title, l.name AS language FROM film f JOIN language l USING (language_id);
INSERT INTO language (name) VALUES ('English'), ('Italian'), ('Japanese');
INSERT INTO address (address, location) SELECT CONCAT(seq, ' Main St'), ST_GeomFromText(CONCAT('POINT(', seq, ' ', seq * 2, ')'))
  FROM seq_1_to_20;
INSERT INTO film (title, description, release_year, language_id, rental_rate, rating, special_features)
  SELECT CONCAT('FILM ', seq), CONCAT('About ', seq), 2000 + seq % 20, 1 + seq % 3, 0.99 + seq % 5,
    ELT(1 + seq % 5, 'G', 'PG', 'PG-13', 'R', 'NC-17'), ELT(1 + seq % 4, '', 'Trailers', 'Trailers,Commentaries',
    'Deleted Scenes,Behind the Scenes') FROM seq_1_to_100;
INSERT INTO inventory (film_id) SELECT 1 + seq % 100 FROM seq_1_to_300;
INSERT INTO rental (rental_date, inventory_id, return_date) SELECT '2005-05-24 22:53:30' + INTERVAL seq HOUR,
  1 + seq % 300, IF(seq % 7 = 0, NULL, '2005-05-26 22:04:30' + INTERVAL seq HOUR) FROM seq_1_to_600;
INSERT INTO payment (rental_id, amount, payment_date) SELECT 1 + seq % 600, 0.99 + seq % 10,
  '2005-05-25 11:30:37' + INTERVAL seq MINUTE FROM seq_1_to_900;
SQL
assert_eq 100 "$(msql "$DB" "SELECT COUNT(*) FROM film_text")" "film_text kept by MariaDB's trigger"

# Each table's rows, each server computing its own: "table md5 count".
TABLES="language:language_id,name address:address_id,address,location film:film_id,title,description,release_year,language_id,rental_rate,rating,special_features film_text:film_id,title,description inventory:inventory_id,film_id rental:rental_id,rental_date,inventory_id,return_date payment:payment_id,rental_id,amount,payment_date"
m_expr() {   # COLUMN: its text on MariaDB
    case $1 in
        location) echo "LOWER(HEX(location))" ;;
        special_features) echo "special_features" ;;
        rental_date | return_date | payment_date) echo "DATE_FORMAT($1, '%Y-%m-%d %H:%i:%s')" ;;
        *) echo "$1" ;;
    esac
}
p_expr() {   # COLUMN: its text on PostgreSQL
    case $1 in
        location) echo "encode(location, 'hex')" ;;
        special_features) echo "array_to_string(ARRAY(SELECT m FROM unnest(special_features) m ORDER BY array_position(ARRAY['Trailers','Commentaries','Deleted Scenes','Behind the Scenes'], m)), ',')" ;;
        rental_date | return_date | payment_date) echo "to_char($1, 'YYYY-MM-DD HH24:MI:SS')" ;;
        name) echo "rtrim(name)" ;;
        *) echo "$1::text" ;;
    esac
}
my_digest() {
    local spec t cols c exprs
    for spec in $TABLES; do
        t=${spec%%:*}; cols=${spec#*:}; exprs=""
        for c in ${cols//,/ }; do exprs+="${exprs:+, }IFNULL($(m_expr "$c"), '~')"; done
        msql "$DB" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT('$t ', IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', $exprs)
            ORDER BY ${cols%%,*} SEPARATOR '\n')), 'none'), ' ', COUNT(*)) FROM $t" || return 1
    done
}
pg_digest() {
    local spec t cols c exprs
    for spec in $TABLES; do
        t=${spec%%:*}; cols=${spec#*:}; exprs=""
        for c in ${cols//,/ }; do exprs+="${exprs:+, }coalesce($(p_expr "$c"), '~')"; done
        psql_tgt "$DB" "SELECT '$t ' || coalesce(md5(string_agg(concat_ws('|', $exprs), E'\n' ORDER BY ${cols%%,*})), 'none')
            || ' ' || count(*) FROM $S.$t" || return 1
    done
}
gw() {   # CODE COMMAND ARGS...
    local code=$1 cmd=$2; shift 2
    assert_exit "$code" "$GODWIT" "$cmd" --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase app "$@"
}
verify_equal() {   # WHAT
    assert_equal_sides "$1"
    gw 0 verify || note "$(cat "$OUT")"
}

# ---------------------------------------------------------------- fetch
gw 2 fetch
assert_contains "$ERR" "column location"
assert_contains "$ERR" "--type-map"
assert_short_message "$ERR"
printf '{"%s.address.location": "bytea"}\n' "$S" >"$GW_OUT/map.json"
gw 0 fetch --type-map "$GW_OUT/map.json" --format json || abort_test "fetch"
assert_eq "function $S.rentals_of|procedure $S.film_in_stock|trigger del_film ON $S.film|trigger ins_film ON $S.film|trigger upd_film ON $S.film|view $S.film_list" \
    "$(jq -r '[.not_migrated[] | "\(.kind) \(.name)"] | sort | join("|")' "$OUT")" "what fetch did not make, by name"
assert_contains "$ERR" "idx_location"
verify_equal "after fetch"

# ---------------------------------------------------------------- changes on MariaDB, replicated
setup_m "$DB" - <<'SQL'
UPDATE film SET film_id = 1000 WHERE film_id = 10;
UPDATE inventory SET inventory_id = 5000 WHERE inventory_id = 20;
UPDATE rental SET rental_id = 9000 WHERE rental_id = 40;
DELETE FROM rental WHERE rental_id = 41;
UPDATE language SET language_id = 9 WHERE language_id = 3;
UPDATE film SET special_features = 'Behind the Scenes,Trailers', rating = 'NC-17' WHERE film_id = 11;
INSERT INTO address (address, location) VALUES ('new', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 5)'));
SQL
assert_eq 3 "$(msql "$DB" "SELECT COUNT(*) FROM inventory WHERE film_id = 1000")" "inventory of the moved film on MariaDB"
gw 0 replicate --stop-when-caught-up
verify_equal "after cascading key updates through three levels, and a delete setting NULL"
assert_eq 3 "$(psql_tgt "$DB" "SELECT count(*) FROM $S.inventory WHERE film_id = 1000")" "inventory of the moved film on PostgreSQL"
assert_eq "1000" "$(psql_tgt "$DB" "SELECT film_id FROM $S.film_text WHERE title = 'FILM 10'")" "film_text followed the film (MariaDB's trigger, through the binlog)"

# ---------------------------------------------------------------- cutover; the application on PostgreSQL
# The operator's PostgreSQL version of MariaDB's film_text triggers.
setup_tgt "$DB" - <<SQL
CREATE FUNCTION $S.film_text_sync() RETURNS trigger LANGUAGE plpgsql SET search_path = $S AS \$\$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO film_text VALUES (NEW.film_id, NEW.title, NEW.description);
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE film_text SET title = NEW.title, description = NEW.description, film_id = NEW.film_id
      WHERE film_id = OLD.film_id;
  ELSE
    DELETE FROM film_text WHERE film_id = OLD.film_id;
  END IF;
  RETURN NULL;
END \$\$;
CREATE TRIGGER film_text_sync AFTER INSERT OR UPDATE OR DELETE ON $S.film FOR EACH ROW EXECUTE FUNCTION $S.film_text_sync();
SQL
gw 0 cutover --fence --quiet-seconds 1 --verify full || abort_test "cutover"
assert_contains "$ERR" "trigger ins_film"
setup_tgt "$DB" - <<SQL
SET search_path = $S;
INSERT INTO film (film_id, title, description, release_year, language_id, rental_rate, rating, special_features)
  VALUES (2000, 'NEW ON POSTGRESQL', 'written after cutover', 2024, 2, 2.99, 'PG', '{Commentaries,Trailers}');
UPDATE film SET title = 'RENAMED', special_features = '{"Deleted Scenes",Trailers,Commentaries}' WHERE film_id = 12;
UPDATE film SET film_id = 3000 WHERE film_id = 13;
DELETE FROM payment WHERE rental_id IN (SELECT rental_id FROM rental WHERE inventory_id IN (SELECT inventory_id FROM inventory WHERE film_id = 14));
DELETE FROM rental WHERE inventory_id IN (SELECT inventory_id FROM inventory WHERE film_id = 14);
DELETE FROM inventory WHERE film_id = 14;
DELETE FROM film WHERE film_id = 14;
INSERT INTO address (address_id, address, location) SELECT 500, 'copied', location FROM address WHERE address_id = 3;
UPDATE rental SET rental_id = 9500 WHERE rental_id = 50;
SQL
assert_eq "RENAMED" "$(psql_tgt "$DB" "SELECT title FROM $S.film_text WHERE film_id = 12")" "PostgreSQL's trigger kept film_text"
# A value MariaDB cannot hold is refused where the application writes it.
psql_tgt "$DB" "UPDATE $S.film SET special_features = '{Bogus}' WHERE film_id = 15" >/dev/null 2>"$GW_OUT/bogus.err" &&
    fail "PostgreSQL took a SET member MariaDB does not have"
assert_contains "$GW_OUT/bogus.err" "godwit_limit"
gw 0 failback --stop-when-caught-up || abort_test "failback"
verify_equal "after failback of the application's writes"
assert_eq "1" "$(msql "$DB" "SELECT COUNT(*) FROM film_text WHERE film_id = 2000")" "film_text on MariaDB: the new film once (the trigger did not fire again)"
assert_eq "POINT(3 6)" "$(msql "$DB" "SELECT ST_AsText(location) FROM address WHERE address_id = 500")" "a geometry written on PostgreSQL as bytes"
assert_eq "Trailers,Commentaries,Deleted Scenes" "$(msql "$DB" "SELECT special_features FROM film WHERE film_id = 12")" "a SET written in PostgreSQL's order, MariaDB's on MariaDB"

# ---------------------------------------------------------------- rollback
gw 0 rollback || abort_test "rollback"
setup_m "$DB" "INSERT INTO film (film_id, title, language_id) VALUES (4000, 'ON MARIADB AGAIN', 1); UPDATE film SET title = 'BACK' WHERE film_id = 2000"
assert_eq "ON MARIADB AGAIN|BACK" "$(msql "$DB" "SELECT CONCAT((SELECT title FROM film_text WHERE film_id = 4000), '|', (SELECT title FROM film_text WHERE film_id = 2000))")" \
    "MariaDB's triggers fire again for the application after the rollback"
finish
