#!/usr/bin/env bash
# Failback PostgreSQL -> MariaDB never fires MariaDB's triggers for the changes it applies (issue 20):
# their effects come back from the target with the stream.
# Phase main: film with the sample databases' triggers keeping film_text (insert, update, delete; one
# with another definer), two triggers on one event in an order (PRECEDES), a BEFORE trigger made
# under ANSI_QUOTES, one made by a latin1 client with a non-ASCII literal; the target has its own
# equivalents.  After cutover, changes on PostgreSQL come back and film, film_text and film_log are
# equal on both servers (a trigger firing again would add film_log rows or update film_text twice).
# A redo killed half-way (records marked, two triggers dropped) is finished by the next failback,
# in order; rollback makes every trigger as it was (information_schema, byte for byte, order
# included) and they fire again for the application.
# Phases ra and rb share table orders (a row filter each): its trigger stays quiet while either
# fails back, fires meanwhile for the application's writes of the other rows, and is made as it
# was only when the last one finishes.
# godwit runs as a user with exactly the grants docs/privileges.md lists for a MariaDB source, SET
# USER (the triggers' definers are others) and log_bin_trust_function_creators instead of SUPER;
# preflight says failback can write back with them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_fb_trg) || abort_test "create databases"
register_mdbs "$DB"
msql "" "DROP USER IF EXISTS 'gw_trg_app'@'%'; CREATE USER 'gw_trg_app'@'%'; GRANT ALL ON gw_fb_trg.* TO 'gw_trg_app'@'%'" ||
    abort_test "create user"
MIG=gw_trg_mig
setup_m "" "DROP USER IF EXISTS '$MIG'@'127.0.0.1'; CREATE USER '$MIG'@'127.0.0.1';
GRANT SELECT ON gw_fb_trg.* TO '$MIG'@'127.0.0.1';
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '$MIG'@'127.0.0.1';
GRANT RELOAD ON *.* TO '$MIG'@'127.0.0.1';
GRANT TRIGGER, INSERT, UPDATE, DELETE, LOCK TABLES ON gw_fb_trg.* TO '$MIG'@'127.0.0.1';
GRANT CREATE, INSERT, UPDATE, DELETE, SELECT, DROP ON _godwit.* TO '$MIG'@'127.0.0.1';
GRANT BINLOG ADMIN ON *.* TO '$MIG'@'127.0.0.1';
GRANT SET USER ON *.* TO '$MIG'@'127.0.0.1';
SET GLOBAL log_bin_trust_function_creators = ON"
MURL=$(m_url "$DB" "$MIG")

setup_m "$DB" - <<'SQL'
CREATE TABLE film (film_id int PRIMARY KEY, title varchar(60) NOT NULL, description text,
    touched int NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TABLE film_text (film_id int PRIMARY KEY, title varchar(60) NOT NULL, description text) ENGINE=InnoDB;
CREATE TABLE film_log (n int AUTO_INCREMENT PRIMARY KEY, film_id int NOT NULL, what varchar(40)) ENGINE=InnoDB;
CREATE TABLE orders (id int PRIMARY KEY, region char(1) NOT NULL, amount int NOT NULL, touched int NOT NULL DEFAULT 0)
    ENGINE=InnoDB;
INSERT INTO film SELECT seq, CONCAT('film ', seq), CONCAT('about ', seq), 0 FROM seq_1_to_20;
INSERT INTO film_text SELECT film_id, title, description FROM film;
INSERT INTO orders SELECT seq, IF(seq % 2, 'A', 'B'), seq, 0 FROM seq_1_to_20;
DELIMITER //
CREATE DEFINER = 'gw_trg_app'@'%' TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW
  INSERT INTO film_text (film_id, title, description) VALUES (NEW.film_id, NEW.title, NEW.description) //
CREATE TRIGGER upd_film AFTER UPDATE ON film FOR EACH ROW BEGIN
  IF (OLD.title <> NEW.title) OR (OLD.description <> NEW.description) OR (OLD.film_id <> NEW.film_id) THEN
    UPDATE film_text SET title = NEW.title, description = NEW.description, film_id = NEW.film_id
      WHERE film_id = OLD.film_id;
  END IF;
END //
CREATE TRIGGER del_film AFTER DELETE ON film FOR EACH ROW DELETE FROM film_text WHERE film_id = OLD.film_id //
CREATE TRIGGER log_b AFTER INSERT ON film FOR EACH ROW INSERT INTO film_log (film_id, what) VALUES (NEW.film_id, 'b') //
CREATE TRIGGER log_a AFTER INSERT ON film FOR EACH ROW PRECEDES log_b
  INSERT INTO film_log (film_id, what) VALUES (NEW.film_id, 'a') -- first, then log_b
//
SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_TRANS_TABLES' //
CREATE TRIGGER "touch film" BEFORE UPDATE ON "film" FOR EACH ROW SET NEW."touched" = OLD."touched" + 1 //
CREATE DEFINER = 'gw_trg_app'@'%' TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW
  SET NEW.touched = OLD.touched + 1 //
DELIMITER ;
SQL
# Made by a client speaking latin1: its literal is one byte per character there.
printf "SET NAMES latin1; CREATE TRIGGER del_log AFTER DELETE ON film FOR EACH ROW INSERT INTO film_log (film_id, what) VALUES (OLD.film_id, 'deleted caf\xe9');\n" |
    msql "$DB" - || abort_test "latin1 trigger"

# Everything information_schema says of the triggers, but when they were made.
triggers() {
    msql "$DB" "SELECT CONCAT_WS('|', TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER,
        HEX(ACTION_STATEMENT), SQL_MODE, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION)
        FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'gw_fb_trg' AND TRIGGER_NAME NOT LIKE 'godwit%'
        ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER"
}
guarded_count() {   # TABLE: how many of its triggers are wrapped for failback
    msql "$DB" "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'gw_fb_trg'
        AND EVENT_OBJECT_TABLE = '$1' AND ACTION_STATEMENT LIKE 'IF IFNULL(@godwit!_apply, 0) = 0 THEN%' ESCAPE '!'"
}
BEFORE=$(triggers) || abort_test "triggers"
assert_eq 8 "$(wc -l <<<"$BEFORE")" "triggers made"

# The target: its own triggers doing what MariaDB's do (the operator makes them; fetch lists MariaDB's).
fetch_phase() {   # PHASE ARGS...
    local p=$1; shift
    assert_exit 0 "$GODWIT" fetch --source "$MURL" --target "$(tgt_url "$DB")" --phase "$p" "$@" ||
        abort_test "fetch of phase $p"
}
assert_exit 0 "$GODWIT" preflight --source "$MURL" --target "$(tgt_url "$DB")" --phase main \
    --tables 'gw_fb_trg.film,gw_fb_trg.film_text,gw_fb_trg.film_log'
assert_contains_re "$OUT" "^ok +failback into the source"
assert_not_contains "$ERR" "--fence"
fetch_phase main --tables 'gw_fb_trg.film,gw_fb_trg.film_text,gw_fb_trg.film_log'
fetch_phase ra --tables gw_fb_trg.orders --where "gw_fb_trg.orders: region = 'A'"
fetch_phase rb --tables gw_fb_trg.orders --where "gw_fb_trg.orders: region = 'B'"
setup_tgt "$DB" - <<'SQL'
SET search_path = gw_fb_trg;
CREATE FUNCTION film_sync() RETURNS trigger LANGUAGE plpgsql SET search_path = gw_fb_trg AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO film_text VALUES (NEW.film_id, NEW.title, NEW.description);
    INSERT INTO film_log (film_id, what) VALUES (NEW.film_id, 'a'), (NEW.film_id, 'b');
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE film_text SET title = NEW.title, description = NEW.description, film_id = NEW.film_id
      WHERE film_id = OLD.film_id;
  ELSE
    DELETE FROM film_text WHERE film_id = OLD.film_id;
    INSERT INTO film_log (film_id, what) VALUES (OLD.film_id, 'deleted café');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER film_sync AFTER INSERT OR UPDATE OR DELETE ON film FOR EACH ROW EXECUTE FUNCTION film_sync();
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.touched := OLD.touched + 1; RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
SQL

# Each table's rows, computed by each server.
TABLES="film:film_id,title,description,touched film_text:film_id,title,description film_log:n,film_id,what orders:id,region,amount,touched"
trg_query() { msql "$DB" "$1"; }
my_digest() { spec_digest_m trg_query "$TABLES"; }
pg_digest() { spec_digest_p "$DB" gw_fb_trg "$TABLES"; }
gw() {   # CODE COMMAND PHASE ARGS...
    local code=$1 cmd=$2 phase=$3; shift 3
    assert_exit "$code" "$GODWIT" "$cmd" --source "$MURL" --target "$(tgt_url "$DB")" --phase "$phase" "$@"
}
assert_equal_sides "after fetch"

# ---------------------------------------------------------------- phase main: cutover and failback
gw 0 cutover main --fence --quiet-seconds 1 --verify none || abort_test "cutover of main"
assert_contains "$ERR" "trigger"
gw 0 failback main --stop-when-caught-up || abort_test "failback of main"
assert_eq 7 "$(guarded_count film)" "film's triggers quiet for failback"
assert_eq 7 "$(msql "" "SELECT COUNT(*) FROM _godwit.guarded_triggers WHERE table_schema = 'gw_fb_trg' AND table_name = 'film'")" "their records"
setup_tgt "$DB" - <<'SQL'
SET search_path = gw_fb_trg;
INSERT INTO film VALUES (100, 'new film', 'new', 0), (101, 'another', NULL, 0);
UPDATE film SET title = 'renamed' WHERE film_id = 3;
UPDATE film SET film_id = 1003 WHERE film_id = 4;
DELETE FROM film WHERE film_id = 5;
BEGIN;
UPDATE film SET description = 'twice' WHERE film_id = 6;
UPDATE film SET description = 'twice more' WHERE film_id = 6;
DELETE FROM film WHERE film_id = 101;
COMMIT;
SQL
gw 0 failback main --stop-when-caught-up
assert_equal_sides "after failback of main"
assert_eq "2" "$(msql "$DB" "SELECT touched FROM film WHERE film_id = 6")" "film 6, updated twice on PostgreSQL, not touched again on MariaDB"

# A redo killed half-way: its records say so, two of its triggers are gone.  The next run finishes it,
# in the recorded order.
setup_m "" "UPDATE _godwit.guarded_triggers SET redoing = TRUE WHERE table_schema = 'gw_fb_trg' AND table_name = 'film'"
setup_m "$DB" 'DROP TRIGGER upd_film; DROP TRIGGER log_a'
gw 0 failback main --stop-when-caught-up
assert_eq 7 "$(guarded_count film)" "film's triggers after the redo was finished"
assert_eq "log_a log_b" "$(msql "$DB" "SELECT GROUP_CONCAT(TRIGGER_NAME ORDER BY ACTION_ORDER SEPARATOR ' ')
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'gw_fb_trg' AND TRIGGER_NAME IN ('log_a', 'log_b')")" \
    "their order after the redo"
setup_tgt "$DB" "INSERT INTO gw_fb_trg.film VALUES (102, 'after the redo', NULL, 0); UPDATE gw_fb_trg.film SET title = 'again' WHERE film_id = 1"
gw 0 failback main --stop-when-caught-up
assert_equal_sides "after failback following the redo"

# ---------------------------------------------------------------- rollback: every trigger as it was
setup_tgt "$DB" "UPDATE gw_fb_trg.film SET title = 'before rollback' WHERE film_id = 2"
gw 0 rollback main || abort_test "rollback of main"
assert_eq "$BEFORE" "$(triggers)" "the triggers after the rollback, as before the cutover (order, definer, sql_mode, character set, body)"
assert_eq 0 "$(msql "" "SELECT COUNT(*) FROM _godwit.guarded_triggers WHERE table_schema = 'gw_fb_trg'")" "records after the rollback"
assert_equal_sides "after rollback of main"
setup_m "$DB" - <<'SQL'
INSERT INTO film (film_id, title, description) VALUES (200, 'on MariaDB again', 'x');
UPDATE film SET title = 'renamed on MariaDB' WHERE film_id = 200;
DELETE FROM film WHERE film_id = 7;
SQL
assert_eq "renamed on MariaDB|x" "$(msql "$DB" "SELECT CONCAT_WS('|', title, description) FROM film_text WHERE film_id = 200")" \
    "ins_film and upd_film fire again for the application"
assert_eq "a b" "$(msql "$DB" "SELECT GROUP_CONCAT(what ORDER BY n SEPARATOR ' ') FROM film_log WHERE film_id = 200")" \
    "log_a and log_b fire again, in their order"
assert_eq "1" "$(msql "$DB" "SELECT touched FROM film WHERE film_id = 200")" "the ANSI_QUOTES trigger fires again"
assert_eq "64656c6574656420636166c3a9" "$(msql "$DB" "SELECT LOWER(HEX(CONVERT(what USING utf8mb4))) FROM film_log WHERE film_id = 7")" \
    "the latin1 trigger's literal after it was made again"

# ---------------------------------------------------------------- phases ra and rb share orders
# Phase main is back on MariaDB: only orders is compared from here on.
TABLES="orders:id,region,amount,touched"
gw 0 cutover ra --fence --quiet-seconds 1 --verify none || abort_test "cutover of ra"
gw 0 failback ra --stop-when-caught-up
assert_eq 1 "$(guarded_count orders)" "orders' trigger quiet while ra fails back"
# The application's writes of region B, on MariaDB: the trigger fires for them.
setup_m "$DB" "UPDATE orders SET amount = amount + 1 WHERE id = 2"
assert_eq 1 "$(msql "$DB" "SELECT touched FROM orders WHERE id = 2")" "the quiet trigger still fires for the application"
gw 0 replicate rb --stop-when-caught-up
gw 0 cutover rb --fence --quiet-seconds 1 --verify none || abort_test "cutover of rb"
assert_not_contains "$ERR" "godwit_fence"   # ra's fence is not an object of the application
gw 0 failback rb --stop-when-caught-up
setup_tgt "$DB" "UPDATE gw_fb_trg.orders SET amount = amount * 10 WHERE id IN (1, 2, 3, 4)"
gw 0 failback ra --stop-when-caught-up
gw 0 failback rb --stop-when-caught-up
assert_equal_sides "after failback of ra and rb"
gw 0 rollback ra
assert_eq 1 "$(guarded_count orders)" "orders' trigger still quiet: rb fails back"
setup_m "$DB" "UPDATE orders SET amount = amount + 1 WHERE id = 1"
assert_eq 2 "$(msql "$DB" "SELECT touched FROM orders WHERE id = 1")" "region A written on MariaDB after its rollback, its trigger firing"
gw 0 finish rb
assert_eq "$BEFORE" "$(triggers)" "the triggers once no phase fails back"
assert_eq 0 "$(msql "" "SELECT COUNT(*) FROM _godwit.trigger_guards WHERE table_schema = 'gw_fb_trg'")" "phases holding triggers quiet after finish"
msql "" "DROP USER 'gw_trg_app'@'%'; DROP USER '$MIG'@'127.0.0.1'; SET GLOBAL log_bin_trust_function_creators = OFF" ||
    fail "drop users"
finish
