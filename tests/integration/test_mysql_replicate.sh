#!/usr/bin/env bash
# replicate from a MariaDB binlog into PostgreSQL, checked by independent SQL on both sides (an md5
# of every row's canonical text, computed by each server itself):
#   fetch, then a random load of inserts, updates, key moves and deletes (and deletes of duplicate
#          rows in a table without a key) while replicate runs and is killed with kill -9 three
#          times at random moments; two binlog rotations (FLUSH BINARY LOGS) in the middle;
#   a restart of the MariaDB server while replicate streams: it reconnects and catches up;
#   TRUNCATE of a phase's table: applied as a change, in order;
#   DDL on a table of the phase: the stream stops with exit 2, naming the statement and the
#          position; after the same change on the target, --ddl-applied goes past it;
#   DDL in another database is not the phase's business: the stream goes on; nor are GRANT,
#          REVOKE, CREATE/DROP USER and ANALYZE naming the phase's database;
#   a zero date (refused by the fetch's options) stops the stream naming table, column and key;
#   the checkpoint records the binlog file, offset and GTID.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mariadb_server_start mrepl || abort_test "could not start MariaDB"
DB=$(new_dbs gw_myrepl) || abort_test "createdb"
register_dbs "$DB"
MDB="My Repl"       # the MariaDB database, and the target's schema
PHASE=myrepl
msql() { mariadb_sql mrepl "$MDB" "$@"; }
src() { mariadb_url mrepl "$MDB"; }
qs() { printf '"%s"' "${MDB//\"/\"\"}"; }    # the schema on the target, quoted
my_replicate() {
    local code=$1; shift
    assert_exit "$code" "$GODWIT" replicate --source "$(src)" --target "$(tgt_url "$DB")" --phase "$PHASE" "$@"
}
# my_bg_replicate ARGS...: replicate in the background; pid in REPL, stderr in REPL_ERR.
my_bg_replicate() {
    bg_start REPL "$GODWIT" replicate --source "$(src)" --target "$(tgt_url "$DB")" --phase "$PHASE" "$@"
    REPL_ERR=$ERR
}

mariadb_sql mrepl -e "CREATE DATABASE \`$MDB\`; CREATE DATABASE other" || abort_test "create database"
msql <<'SQL' || abort_test "MariaDB setup"
CREATE TABLE items (
    id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40), qty INT, price DECIMAL(12,2), at DATETIME(6),
    note TEXT, kind ENUM('a','b','c'), big BIGINT UNSIGNED, flag TINYINT(1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE events (at INT, what VARCHAR(30)) ENGINE=InnoDB;
CREATE TABLE `Odd "Name"` (`Key Col` INT PRIMARY KEY, `v"q` VARCHAR(10)) ENGINE=InnoDB;
INSERT INTO items (name, qty, price, at, note, kind, big, flag)
    SELECT CONCAT('item ', seq), seq, seq / 4, '2024-01-01 00:00:00' + INTERVAL seq SECOND, 'start', 'a', seq, seq % 2
    FROM seq_1_to_300;
INSERT INTO events SELECT seq % 50, CONCAT('e', seq % 50) FROM seq_1_to_200;
INSERT INTO `Odd "Name"` VALUES (1, 'one'), (2, NULL);
UPDATE items SET big = 18446744073709551615, note = 'max unsigned, ünïcode 😀' WHERE id = 1;
SQL

# md5 and count of every row's text, computed on each side.
my_digest() {
    msql -e "SET SESSION group_concat_max_len = 1073741824;
        SELECT CONCAT(IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', id, IFNULL(name, '~'), IFNULL(qty, '~'), IFNULL(price, '~'),
            IFNULL(DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), '~'), IFNULL(note, '~'), IFNULL(kind, '~'), IFNULL(big, '~'),
            IFNULL(CASE WHEN flag THEN 't' WHEN NOT flag THEN 'f' END, '~')) ORDER BY id SEPARATOR '\n')), 'none'), ' ', COUNT(*)) FROM items;
        SELECT CONCAT(IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', at, what) ORDER BY at, BINARY what SEPARATOR '\n')), 'none'), ' ', COUNT(*)) FROM events;
        SELECT CONCAT(IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', \`Key Col\`, IFNULL(\`v\"q\`, '~')) ORDER BY \`Key Col\` SEPARATOR '\n')), 'none'), ' ', COUNT(*)) FROM \`Odd \"Name\"\`"
}
pg_digest() {
    psql_tgt "$DB" "SELECT coalesce(md5(string_agg(concat_ws('|', id, coalesce(name, '~'), coalesce(qty::text, '~'), coalesce(price::text, '~'),
            coalesce(to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), '~'), coalesce(note, '~'), coalesce(kind::text, '~'), coalesce(big::text, '~'),
            coalesce(CASE WHEN flag THEN 't' WHEN NOT flag THEN 'f' END, '~')), E'\n' ORDER BY id)), 'none') || ' ' || count(*) FROM $(qs).items;
        SELECT coalesce(md5(string_agg(concat_ws('|', at, what), E'\n' ORDER BY at, what COLLATE \"C\")), 'none') || ' ' || count(*) FROM $(qs).events;
        SELECT coalesce(md5(string_agg(concat_ws('|', \"Key Col\", coalesce(\"v\"\"q\", '~')), E'\n' ORDER BY \"Key Col\")), 'none') || ' ' || count(*) FROM $(qs).\"Odd \"\"Name\"\"\""
}
in_sync() { [ "$(my_digest 2>/dev/null)" = "$(pg_digest 2>/dev/null)" ]; }

# A random load: N transactions of 1-4 statements each (seeded).
gen_load() {
    awk -v n="$1" -v seed="$2" 'BEGIN {
        srand(seed); next_id = 1000000 + seed * 10000
        for (i = 0; i < n; i++) {
            print "BEGIN;"
            k = 1 + int(rand() * 4)
            for (j = 0; j < k; j++) {
                r = rand(); id = 1 + int(rand() * 400)
                if (r < 0.35) printf "INSERT INTO items (name, qty, price, at, note, kind, big, flag) VALUES (\"n%d\", %d, %d.%02d, NOW(6), \"tab\\there\\nline %d\", \"%s\", %d, %d);\n", i, i, i, i % 100, i, substr("abc", 1 + i % 3, 1), i * 1000003, i % 2
                else if (r < 0.60) printf "UPDATE items SET qty = qty + 1, price = price + 0.25, note = NULL WHERE id = %d;\n", id
                else if (r < 0.70) printf "DELETE FROM items WHERE id = %d;\n", id
                else if (r < 0.75) printf "UPDATE items SET id = %d WHERE id = %d;\n", -(next_id++), id
                else if (r < 0.90) printf "INSERT INTO events VALUES (%d, \"e%d\");\n", id % 50, id % 50
                else if (r < 0.97) printf "DELETE FROM events WHERE at = %d LIMIT 1;\n", id % 50
                else printf "UPDATE `Odd \"Name\"` SET `v\"q` = \"v%d\" WHERE `Key Col` = %d;\n", i % 1000, 1 + id % 2
            }
            print "COMMIT;"
        }
    }'
}

assert_exit 0 "$GODWIT" fetch --source "$(src)" --target "$(tgt_url "$DB")" --phase "$PHASE" --jobs 2 ||
    abort_test "fetch failed"
assert_equal_sides "after fetch"

# ---- load with kill -9 and binlog rotations
bg_start LOAD bash -c "$(declare -f gen_load); gen_load 3000 7 | mariadb --no-defaults --default-character-set=utf8mb4 -S '$MREPL_SOCK' -u root '$MDB'"
my_bg_replicate
for k in 1 2 3; do
    rand_sleep 300 1200
    kill -9 "$REPL" 2>/dev/null; wait "$REPL" 2>/dev/null
    note "killed replicate (pid $REPL) with kill -9, round $k"
    if [ "$k" = 2 ]; then
        mariadb_sql mrepl -e "FLUSH BINARY LOGS; FLUSH BINARY LOGS" || fail "FLUSH BINARY LOGS"
    fi
    my_bg_replicate
done
wait "$LOAD" || fail "the load on MariaDB failed"
wait_for 60 synced_or_gone "$REPL" in_sync || fail "replicate did not catch up with the load"
stop_bg "$REPL" 30 TERM
assert_eq 0 "$RC" "exit status of replicate after SIGTERM"
my_replicate 0 --stop-when-caught-up
assert_equal_sides "after the load with kill -9 and rotations"
checkpoint_of "$DB" "$(stream_name "$DB" "$PHASE")" >"$GW_OUT/checkpoint"
assert_contains_re "$GW_OUT/checkpoint" '^mysql-bin\.[0-9]+:[0-9]+ gtid=0-1-[0-9]+$'   # file, offset and GTID

# ---- a server restart while streaming
my_bg_replicate --retry-for 60
gen_load 200 11 | msql || fail "load before the restart"
mariadb_server_restart mrepl || abort_test "MariaDB restart"
gen_load 200 12 | msql || fail "load after the restart"
wait_for 60 synced_or_gone "$REPL" in_sync || fail "replicate did not catch up after the MariaDB restart"
is_running "$REPL" || { fail "replicate exited after the MariaDB restart"; _gw_dump "$REPL_ERR" "replicate stderr"; }
stop_bg "$REPL" 30 TERM
assert_equal_sides "after a MariaDB restart"
assert_contains "$REPL_ERR" "reconnecting"

# ---- DDL: in another database it is ignored; on the phase's tables it stops the stream
mariadb_sql mrepl other -e "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)" || fail "DDL in another database"
# ... whose name starts with the phase's.
mariadb_sql mrepl "" -e "CREATE DATABASE \`$MDB archive\`; CREATE TABLE \`$MDB archive\`.t (a INT)" ||
    fail "DDL in a database named like the phase's"
# The operator's account statements naming the phase's database change no table: the stream goes on.
msql -e "CREATE USER 'gw_repl_reader'@'%'; GRANT SELECT ON \`$MDB\`.* TO 'gw_repl_reader'@'%';
    INSERT INTO items (name) VALUES ('after grant'); REVOKE SELECT ON \`$MDB\`.* FROM 'gw_repl_reader'@'%';
    DROP USER 'gw_repl_reader'@'%'; ANALYZE TABLE items" >/dev/null || fail "account statements on MariaDB"
my_replicate 0 --stop-when-caught-up
assert_eq "1" "$(psql_tgt "$DB" "SELECT count(*) FROM $(qs).items WHERE name = 'after grant'")" "the insert between GRANT and REVOKE"
# TRUNCATE of a phase's table is a change like any other, in order with the rows around it.
msql -e "INSERT INTO events VALUES (900, 'before truncate'); TRUNCATE TABLE events; INSERT INTO events VALUES (1, 'after truncate'), (2, 'x');
    TRUNCATE \`$MDB\`.\`Odd \"Name\"\`; INSERT INTO \`Odd \"Name\"\` VALUES (5, 'five')" || fail "TRUNCATE on MariaDB"
my_replicate 0 --stop-when-caught-up
assert_equal_sides "after TRUNCATE"
assert_eq "2" "$(psql_tgt "$DB" "SELECT count(*) FROM $(qs).events")" "rows of events after its TRUNCATE and two inserts"
msql -e "INSERT INTO items (name) VALUES ('before ddl'); ALTER TABLE items ADD COLUMN extra INT; INSERT INTO items (name, extra) VALUES ('after ddl', 7)" ||
    fail "DDL on MariaDB"
my_replicate 2 --stop-when-caught-up
assert_contains "$ERR" "ALTER TABLE items ADD COLUMN extra INT"
assert_contains_re "$ERR" "mysql-bin\.[0-9]+ before offset [0-9]+"
assert_eq "1" "$(psql_tgt "$DB" "SELECT count(*) FROM $(qs).items WHERE name = 'before ddl'")" "the insert before the DDL is applied"
setup_tgt "$DB" "ALTER TABLE $(qs).items ADD COLUMN extra integer"
my_replicate 0 --stop-when-caught-up --ddl-applied
assert_eq "7" "$(psql_tgt "$DB" "SELECT extra FROM $(qs).items WHERE name = 'after ddl'")" "the column added by the DDL, after --ddl-applied"
assert_equal_sides "after the DDL"

# ---- a value the fetch's options refuse (a zero date, without --zero-dates null) stops the stream
msql -e "SET SESSION sql_mode = ''; INSERT INTO items (id, name, at) VALUES (777777, 'zero', '0000-00-00 00:00:00')" ||
    fail "zero date insert"
my_replicate 2 --stop-when-caught-up
assert_contains "$ERR" "table My Repl.items, column at, key (id)=(777777)"
assert_contains "$ERR" "zero date"
assert_eq "0" "$(psql_tgt "$DB" "SELECT count(*) FROM $(qs).items WHERE id = 777777")" "rows of the refused insert on the target"

finish
