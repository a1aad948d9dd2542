#!/usr/bin/env bash
# Foreign-key actions from a MariaDB source: its binlog omits the child rows InnoDB changes for
# ON UPDATE CASCADE, ON DELETE CASCADE and SET NULL, so the target must make them itself (issue 20).
# The schema is the pattern of the public sample databases: rental <- payment (ON UPDATE CASCADE,
# ON DELETE SET NULL), film <- film_category -> category (ON UPDATE CASCADE; ON DELETE CASCADE from
# film, RESTRICT from category), rental <- coupon (ON UPDATE SET NULL, ON DELETE CASCADE), staff
# referring to itself (ON DELETE SET NULL), and a key moved twice in one transaction.  After each round of
# changes, replicate --stop-when-caught-up ends with every table equal on both sides (an md5 of the
# rows computed by each server); then the same stream, read again from the fetch's position (the
# checkpoint removed), replays every change, and the tables stay equal.
# The database's view, procedure, function and trigger (which keeps film_log) are not made on the
# target: the fetch report names each one; the trigger's rows arrive through the binlog.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mariadb_server_start mcasc || abort_test "could not start MariaDB"
DB=$(new_dbs gw_mycasc) || abort_test "createdb"
register_dbs "$DB"
MDB=casc
PHASE=casc
msql() { mariadb_sql mcasc "$MDB" "$@"; }
src() { mariadb_url mcasc "$MDB"; }

mariadb_sql mcasc -e "CREATE DATABASE $MDB" || abort_test "create database"
msql <<'SQL' || abort_test "MariaDB setup"
CREATE TABLE rental (rental_id INT PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE payment (payment_id INT PRIMARY KEY, rental_id INT NULL, amount DECIMAL(5,2),
    CONSTRAINT fk_payment_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id)
        ON UPDATE CASCADE ON DELETE SET NULL) ENGINE=InnoDB;
CREATE TABLE category (category_id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE film (film_id INT PRIMARY KEY, title VARCHAR(40)) ENGINE=InnoDB;
CREATE TABLE film_category (film_id INT NOT NULL, category_id INT NOT NULL, PRIMARY KEY (film_id, category_id),
    CONSTRAINT fk_fc_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT fk_fc_category FOREIGN KEY (category_id) REFERENCES category (category_id)
        ON UPDATE CASCADE ON DELETE RESTRICT) ENGINE=InnoDB;
CREATE TABLE coupon (coupon_id INT PRIMARY KEY, rental_id INT NULL,
    CONSTRAINT fk_coupon_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id)
        ON UPDATE SET NULL ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE staff (staff_id INT PRIMARY KEY, manager_id INT NULL, name VARCHAR(20),
    CONSTRAINT fk_staff_manager FOREIGN KEY (manager_id) REFERENCES staff (staff_id)
        ON UPDATE CASCADE ON DELETE SET NULL) ENGINE=InnoDB;
CREATE TABLE film_log (id INT AUTO_INCREMENT PRIMARY KEY, film_id INT, what VARCHAR(40)) ENGINE=InnoDB;
CREATE TRIGGER film_logged AFTER INSERT ON film FOR EACH ROW INSERT INTO film_log (film_id, what) VALUES (NEW.film_id, NEW.title);
CREATE VIEW film_list AS SELECT f.film_id, f.title, fc.category_id FROM film f JOIN film_category fc USING (film_id);
CREATE PROCEDURE renumber() UPDATE rental SET rental_id = rental_id + 1000;
CREATE FUNCTION film_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM film);
INSERT INTO rental SELECT seq, CONCAT('r', seq) FROM seq_1_to_100;
INSERT INTO payment SELECT seq, 1 + seq % 100, seq / 10 FROM seq_1_to_300;
INSERT INTO category SELECT seq, CONCAT('c', seq) FROM seq_1_to_16;
INSERT INTO film SELECT seq, CONCAT('film ', seq) FROM seq_1_to_200;
INSERT INTO film_category SELECT seq, 1 + seq % 16 FROM seq_1_to_200;
INSERT INTO film_category SELECT seq, 1 + (seq + 5) % 16 FROM seq_1_to_100;
INSERT INTO coupon SELECT seq, 50 + seq % 10 FROM seq_1_to_30;
INSERT INTO staff VALUES (1, NULL, 'boss'), (2, 1, 'lead a'), (3, 1, 'lead b'), (4, 2, 'dev'), (5, 2, 'dev'), (6, 3, 'ops');
SQL

# "table md5 count" of each table, each server computing its own.
TABLES="coupon:coupon_id,rental_id staff:staff_id,manager_id,name rental:rental_id,note payment:payment_id,rental_id,amount category:category_id,name film:film_id,title film_category:film_id,category_id film_log:id,film_id,what"
casc_query() { msql -N -e "$1"; }
my_digest() { spec_digest_m casc_query "$TABLES"; }
pg_digest() { spec_digest_p "$DB" "$MDB" "$TABLES"; }
caught_up() {
    assert_exit 0 "$GODWIT" replicate --source "$(src)" --target "$(tgt_url "$DB")" --phase "$PHASE" \
        --stop-when-caught-up
}

assert_exit 0 "$GODWIT" fetch --source "$(src)" --target "$(tgt_url "$DB")" --phase "$PHASE" --format json ||
    abort_test "fetch"
assert_eq "function casc.film_count|procedure casc.renumber|trigger film_logged ON casc.film|view casc.film_list" \
    "$(jq -r '[.not_migrated[] | "\(.kind) \(.name)"] | sort | join("|")' "$OUT")" "not migrated, by name"
assert_eq "CASCADE SET NULL" "$(psql_tgt "$DB" "SELECT update_rule || ' ' || delete_rule
    FROM information_schema.referential_constraints WHERE constraint_name = 'fk_payment_rental'")" "the target's key actions"
assert_equal_sides "after fetch"

# Key updates that cascade, a delete that cascades, one that sets NULL.
msql <<'SQL' || abort_test "changes"
UPDATE rental SET rental_id = 99999 WHERE rental_id = 31;
UPDATE category SET category_id = 117 WHERE category_id = 7;
UPDATE film SET film_id = film_id + 1000 WHERE film_id <= 5;
DELETE FROM film WHERE film_id = 50;
DELETE FROM rental WHERE rental_id = 40;
SQL
caught_up
assert_equal_sides "after key updates and deletes that act on other tables"
assert_eq 3 "$(psql_tgt "$DB" "SELECT count(*) FROM $MDB.payment WHERE rental_id = 99999")" "payments of the moved rental"
assert_eq 3 "$(psql_tgt "$DB" "SELECT count(*) FROM $MDB.payment WHERE rental_id IS NULL")" "payments of the deleted rental"

# ON UPDATE SET NULL, and a table referring to itself (InnoDB refuses to cascade an update into the
# same table): a key moved, a manager deleted (setting NULL), a delete cascading from a rental to its
# coupons.
msql <<'SQL' || abort_test "changes"
UPDATE rental SET rental_id = 77777 WHERE rental_id = 51;
UPDATE staff SET staff_id = 40 WHERE staff_id = 4;
DELETE FROM staff WHERE staff_id = 3;
DELETE FROM rental WHERE rental_id = 52;
SQL
caught_up
assert_equal_sides "after ON UPDATE SET NULL, a self-reference moved and deleted, a delete cascading"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM $MDB.coupon WHERE rental_id IN (51, 52, 77777)")" "coupons of the moved and deleted rentals"
assert_eq "5:2,6:,40:2" "$(psql_tgt "$DB" "SELECT string_agg(staff_id || ':' || coalesce(manager_id::text, ''), ',' ORDER BY staff_id) FROM $MDB.staff WHERE staff_id > 3")" "staff: a moved key, and the staff of the deleted manager"

# In one transaction: a key moved twice, children written after the move, a cascade through a moved key.
msql <<'SQL' || abort_test "changes"
BEGIN;
UPDATE rental SET rental_id = 500 WHERE rental_id = 32;
UPDATE rental SET rental_id = 501 WHERE rental_id = 500;
INSERT INTO payment VALUES (1000, 501, 9.99);
UPDATE film SET film_id = 2000 WHERE film_id = 1001;
DELETE FROM film WHERE film_id = 2000;
UPDATE category SET category_id = 118 WHERE category_id = 117;
INSERT INTO film VALUES (3000, 'new film'), (3001, 'another');
COMMIT;
SQL
caught_up
assert_equal_sides "after one transaction of moves"

# The whole stream again from the fetch's position: every key update and delete replayed.
psql_tgt "$DB" "DELETE FROM _godwit.checkpoints" >/dev/null || abort_test "checkpoint"
caught_up
assert_equal_sides "after the stream replayed from its start"
finish
