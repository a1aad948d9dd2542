#!/usr/bin/env bash
# Operator paths from a MariaDB source into PostgreSQL targets, checked by independent SQL:
# 1. one MariaDB database migrated into two PostgreSQL target databases with the same phase name, both
#    replicating at once under writes on MariaDB: both equal; one is cut over and failed back under
#    writes on its target: MariaDB gets exactly those rows, while the other migration's forward
#    replicate keeps running undisturbed (no reconnect, no session ended, its own server_id);
# 2. kill -9 of that failback while it applies a large backlog (part of it arrived), restarted at once:
#    not refused (the dead runner's lock went with its session), every row exactly once;
# 6. migration 2 cut over and failing back: finish of migration 1 removes only its own state from
#    MariaDB's server-wide _godwit, and failback 2 goes on (no reconnect);
# 3. SIGINT of a fetch mid-copy (the copy held by a lock on the target table); then
# 4. `fetch --resume` with another --zero-dates, or another table selection: refused (exit 2) naming
#    the difference, nothing changed; then the command the interrupted fetch printed finishes it;
# 5. SIGINT of a fetch (source URL with a password, an odd phase name) while its FLUSH TABLES WITH READ
#    LOCK waits on a running statement: it stops at once (exit 5, not after every retry as a source
#    error), and the command it printed, its masked password put back, finishes the fetch.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_op_my) || abort_test "create databases"
register_mdbs "$DB"
T2=gw_op_my_two
dropdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres --if-exists --force "$T2" >/dev/null 2>&1
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"
PH=shared

setup_m "$DB" "CREATE TABLE t (id int PRIMARY KEY, v varchar(60) NOT NULL) ENGINE=InnoDB;
               INSERT INTO t SELECT seq, CONCAT('source ', seq) FROM seq_1_to_200"

digest_m() {   # DB [WHERE]
    msql "$1" "SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ' ',
        IFNULL(MD5(GROUP_CONCAT(CONCAT_WS('|', id, v) ORDER BY id SEPARATOR '\n')), 'none')) FROM t ${2:-}"
}
digest_p() {   # TDB [WHERE]
    psql_tgt "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(concat_ws('|', id, v), E'\n' ORDER BY id)), 'none')
        FROM gw_op_my.t ${2:-}"
}
in_sync() { [ "$(digest_m "$DB" 2>/dev/null)" = "$(digest_p "$1" 2>/dev/null)" ]; }

# ---------------------------------------------------------------- 1: two migrations of one database
gw_mfetch 0 "$DB" "$DB" --phase "$PH" || abort_test "fetch into $DB"
gw_mfetch 0 "$DB" "$T2" --phase "$PH" || abort_test "fetch into $T2"
assert_ne "$(migration_id "$DB")" "$(migration_id "$T2")" "two targets, two migration ids"
bg_start R1 "$GODWIT" replicate --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH"
R1_ERR=$ERR
bg_start R2 "$GODWIT" replicate --source "$(m_url "$DB")" --target "$(tgt_url "$T2")" --phase "$PH"
R2_ERR=$ERR
wait_for 60 grep -q "reading the binlog" "$R1_ERR" || fail "replicate 1 did not start"
wait_for 60 grep -q "reading the binlog" "$R2_ERR" || fail "replicate 2 did not start"
is_running "$R1" && is_running "$R2" || abort_test "both replicates running at once"
sid1=$(sed -n 's/.* as server_id \([0-9]*\).*/\1/p' "$R1_ERR" | head -1)
sid2=$(sed -n 's/.* as server_id \([0-9]*\).*/\1/p' "$R2_ERR" | head -1)
assert_ne "$sid1" "$sid2" "binlog readers' server_id of the two migrations"
for i in $(seq 1 20); do
    setup_m "$DB" "INSERT INTO t SELECT 1000 + $i * 50 + seq, CONCAT('mariadb write ', $i, '/', seq) FROM seq_1_to_50;
                   UPDATE t SET v = CONCAT(v, ' u$i') WHERE id = $i; DELETE FROM t WHERE id = 100 + $i"
done
wait_for 60 in_sync "$DB" || fail "target $DB did not catch up"
wait_for 60 in_sync "$T2" || fail "target $T2 did not catch up"
assert_eq "$(digest_m "$DB")" "$(digest_p "$DB")" "MariaDB and target $DB"
assert_eq "$(digest_m "$DB")" "$(digest_p "$T2")" "MariaDB and target $T2"
assert_eq "1180 " "$(digest_m "$DB" | cut -c1-5)" "rows on MariaDB after the writes"

# Cut over migration 1 only; fail it back under writes on its target while replicate 2 runs.
stop_bg "$R1" 30 TERM
assert_eq 0 "$RC" "replicate 1 after SIGTERM"
assert_exit 0 "$GODWIT" cutover --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH" --quiet-seconds 1 \
    --verify none || abort_test "cutover of migration 1"
r2_reconnects=$(grep -c "reconnect" "$R2_ERR")
# The sessions of the cutover that just exited may still be open on the server for a moment; failback
# would rightly end them as a dead run's. Wait until they are gone, so that any session failback or
# replicate 2 ends below is one of the two runners'.
no_godwit_sessions() { [ "$(psql_tgt "$DB" "SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name LIKE 'godwit %'")" = 0 ]; }
wait_for 30 no_godwit_sessions || fail "the cutover's sessions on target $DB did not end"
bg_start FB "$GODWIT" failback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH"
FB_ERR=$ERR
for i in $(seq 1 30); do
    setup_tgt "$DB" "INSERT INTO gw_op_my.t SELECT g, 'target write ' || g FROM generate_series(5000 + $i * 10, 5009 + $i * 10) g"
    # The application still writes on MariaDB too (rows failback does not touch): replicate 2 takes them.
    [ $((i % 10)) = 0 ] && setup_m "$DB" "INSERT INTO t VALUES (9000 + $i, 'mariadb during failback $i')"
done
fb_arrived() { [ "$(msql "$DB" "SELECT COUNT(*) FROM t WHERE v LIKE 'target write %'")" = 300 ]; }
wait_for 60 fb_arrived || fail "failback did not bring the target's 300 rows"
assert_eq "$(digest_p "$DB" "WHERE v LIKE 'target write %'")" "$(digest_m "$DB" "WHERE v LIKE 'target write %'")" \
    "the target's rows on MariaDB, exactly"
r2_has_app() { [ "$(psql_tgt "$T2" "SELECT count(*) FROM gw_op_my.t WHERE id > 9000")" = 3 ]; }
wait_for 60 r2_has_app || fail "replicate 2 did not take MariaDB's writes made during the failback"
# What migration 1's failback wrote into MariaDB is MariaDB's data for migration 2: it reaches target 2 too.
r2_has_fb() { [ "$(psql_tgt "$T2" "SELECT count(*) FROM gw_op_my.t WHERE v LIKE 'target write %'")" = 300 ]; }
wait_for 60 r2_has_fb || fail "replicate 2 did not take the rows migration 1's failback wrote into MariaDB"
assert_eq "$(digest_m "$DB" "WHERE v LIKE 'target write %'")" "$(digest_p "$T2" "WHERE v LIKE 'target write %'")" \
    "migration 1's failback rows on target 2, exactly"
is_running "$R2" || fail "replicate 2 exited during migration 1's failback"
is_running "$FB" || fail "failback exited"
assert_eq "$r2_reconnects" "$(grep -c "reconnect" "$R2_ERR")" "replicate 2's reconnect lines during the failback"
assert_eq 0 "$(grep -c "session(s) left\|administrator command" "$R2_ERR" "$FB_ERR" | awk -F: '{s += $2} END {print s}')" \
    "sessions ended between the two runners"

# ---------------------------------------------------------------- 2: kill -9 of failback in a backlog
stop_bg "$FB" 30 TERM
assert_eq 0 "$RC" "failback after SIGTERM"
psql_tgt "$DB" "CREATE PROCEDURE backlog() LANGUAGE plpgsql AS \$\$BEGIN
    FOR b IN 0..199 LOOP
        INSERT INTO gw_op_my.t SELECT g, 'backlog ' || g FROM generate_series(100000 + b * 200, 100199 + b * 200) g;
        COMMIT;
    END LOOP; END\$\$; CALL backlog()" >/dev/null || abort_test "backlog on the target"
bg_start FB "$GODWIT" failback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH"
part_arrived() { local n; n=$(msql "$DB" "SELECT COUNT(*) FROM t WHERE id >= 100000"); [ "${n:-0}" -gt 0 ]; }
wait_for 120 part_arrived || fail "no part of the backlog arrived"
kill -9 "$FB"; wait "$FB" 2>/dev/null
arrived=$(msql "$DB" "SELECT COUNT(*) FROM t WHERE id >= 100000")
note "backlog rows on MariaDB at the kill: $arrived of 40000"
[ "$arrived" -lt 40000 ] || note "the whole backlog had arrived before the kill"
assert_exit 0 "$GODWIT" failback --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH" --stop-when-caught-up
assert_eq 40000 "$(msql "$DB" "SELECT COUNT(*) FROM t WHERE id >= 100000")" "backlog rows on MariaDB"
assert_eq 40000 "$(msql "$DB" "SELECT COUNT(DISTINCT id) FROM t WHERE id >= 100000")" "distinct backlog rows"
assert_eq "$(digest_p "$DB" "WHERE id >= 100000")" "$(digest_m "$DB" "WHERE id >= 100000")" "the backlog, exactly once"
assert_eq "$(digest_p "$DB" "WHERE id < 9000 OR id >= 100000")" "$(digest_m "$DB" "WHERE id < 9000 OR id >= 100000")" \
    "MariaDB and target $DB (the rows of migration 1)"
is_running "$R2" || fail "replicate 2 exited"
assert_eq "$r2_reconnects" "$(grep -c "reconnect" "$R2_ERR")" "replicate 2's reconnect lines after the kill -9"
stop_bg "$R2" 30 TERM
assert_eq 0 "$RC" "replicate 2 after SIGTERM"

# ---------------------------------------------------------------- 6: finish of one, the other's failback runs
# Migration 2 cut over too and failing back (rows of its own); finish of migration 1 removes only
# migration 1's state from MariaDB's server-wide _godwit, and failback 2 goes on applying.
M1=$(migration_id "$DB"); M2=$(migration_id "$T2")
assert_exit 0 "$GODWIT" cutover --source "$(m_url "$DB")" --target "$(tgt_url "$T2")" --phase "$PH" --quiet-seconds 1 \
    --verify none || abort_test "cutover of migration 2"
bg_start FB2 "$GODWIT" failback --source "$(m_url "$DB")" --target "$(tgt_url "$T2")" --phase "$PH"
FB2_ERR=$ERR
setup_tgt "$T2" "INSERT INTO gw_op_my.t VALUES (7001, 'target two before finish 1')"
row_on_m() { [ "$(msql "$DB" "SELECT COUNT(*) FROM t WHERE id = $1")" = 1 ]; }
wait_for 60 row_on_m 7001 || fail "failback 2 did not apply its target's row"
assert_exit 0 "$GODWIT" finish --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --phase "$PH" || abort_test "finish of migration 1"
assert_eq 0 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream LIKE '$M1:%'")" "migration 1's checkpoints after its finish"
assert_eq 1 "$(msql "" "SELECT COUNT(*) FROM _godwit.checkpoints WHERE stream LIKE '$M2:%'")" "migration 2's checkpoint after finish of 1"
setup_tgt "$T2" "INSERT INTO gw_op_my.t VALUES (7002, 'target two after finish 1')"
wait_for 60 row_on_m 7002 || fail "failback 2 stopped applying after finish of migration 1"
is_running "$FB2" || fail "failback 2 exited after finish of migration 1"
assert_eq 0 "$(grep -c "reconnect\|session(s) left\|administrator command" "$FB2_ERR")" "failback 2's reconnects and ended sessions"
stop_bg "$FB2" 30 TERM
assert_eq 0 "$RC" "failback 2 after SIGTERM"
assert_eq "7001|target two before finish 1;7002|target two after finish 1" \
    "$(msql "$DB" "SELECT GROUP_CONCAT(CONCAT_WS('|', id, v) ORDER BY id SEPARATOR ';') FROM t WHERE v LIKE 'target two%'")" \
    "migration 2's rows on MariaDB"

# ---------------------------------------------------------------- 3, 4: SIGINT mid-copy, resumes
D3=$(new_mdb gw_op_my3) || abort_test "create databases"
register_mdbs "$D3"
setup_m "$D3" "CREATE TABLE big (id int PRIMARY KEY, v varchar(100) NOT NULL, d date) ENGINE=InnoDB;
               INSERT INTO big SELECT seq, REPEAT(MD5(seq), 3), '2020-01-01' FROM seq_1_to_200000;
               CREATE TABLE small (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
               INSERT INTO small SELECT seq, CONCAT('s', seq) FROM seq_1_to_100"
export GW_OPM_SRC
GW_OPM_SRC=$(m_url "$D3")
# The target's tables exist before the fetch (--schema existing) and big is locked before it starts, so
# its copy waits on the lock whatever the machine's speed: a lock taken once fetch had made the table
# could come after the whole copy.
setup_tgt "$D3" "CREATE SCHEMA gw_op_my3; CREATE TABLE gw_op_my3.big (id integer PRIMARY KEY, v varchar(100) NOT NULL, d date);
                 CREATE TABLE gw_op_my3.small (id integer PRIMARY KEY, v varchar(20))"
bg_start H psql -X -q -h 127.0.0.1 -p "$TGT_PORT" -U postgres -d "$D3" \
    -c "SET application_name = 'gw_holder'; BEGIN; LOCK TABLE gw_op_my3.big IN SHARE MODE; SELECT pg_sleep(600)"
holder_has_lock() { [ "$(psql_tgt "$D3" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE a.application_name = 'gw_holder' AND l.granted AND l.relation = 'gw_op_my3.big'::regclass")" = 1 ]; }
wait_for 30 holder_has_lock || abort_test "the lock on the target's table big"
bg_start F env GW_OPM_SRC="$GW_OPM_SRC" "$GODWIT" fetch --source env:GW_OPM_SRC --target "$(tgt_url "$D3")" --phase mid \
    --jobs 1 --shard-size 1 --tables 'gw_op_my3.*' --schema existing
F_ERR=$ERR
fetch_waits() { [ "$(psql_tgt "$D3" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND wait_event_type = 'Lock' AND application_name <> 'gw_holder'")" -ge 1 ]; }
wait_for 60 fetch_waits || fail "the copy did not wait on the lock"
kill -INT "$F"
psql_tgt "$D3" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gw_holder'" >/dev/null
wait_exit "$F" 60
assert_eq 5 "$RC" "exit status of the interrupted fetch"
NEXT=$(sed -n 's/.*; continue with: //p' "$F_ERR")
note "continue with: $NEXT"
[[ $NEXT == "godwit fetch "*" --resume"* ]] || abort_test "no command to continue with in: $(_gw_first_lines "$F_ERR")"
assert_contains "$F_ERR" "--source env:GW_OPM_SRC"
big_before=$(psql_tgt "$D3" "SELECT count(*) FROM gw_op_my3.big")
[ "$big_before" -lt 200000 ] || fail "every row was copied although interrupted"
state() { psql_tgt "$D3" "SELECT status FROM _godwit.phases WHERE name = 'mid'; SELECT count(*) FILTER (WHERE done) || '/' || count(*)
    FROM _godwit.fetch_progress WHERE phase = 'mid'; SELECT count(*) FROM gw_op_my3.big; SELECT count(*) FROM gw_op_my3.small" | tr '\n' ' '; }
before=$(state)
assert_exit 2 "$GODWIT" fetch --source "$GW_OPM_SRC" --target "$(tgt_url "$D3")" --phase mid --jobs 1 --shard-size 1 \
    --tables 'gw_op_my3.*' --zero-dates null --resume
assert_contains "$ERR" "zero-dates"
assert_short_message "$ERR" 2
assert_eq "$before" "$(state)" "target state after a resume with another --zero-dates"
assert_exit 2 "$GODWIT" fetch --source "$GW_OPM_SRC" --target "$(tgt_url "$D3")" --phase mid --jobs 1 --shard-size 1 \
    --tables 'gw_op_my3.big' --resume
assert_contains "$ERR" "gw_op_my3.small"
assert_short_message "$ERR" 2
assert_eq "$before" "$(state)" "target state after a resume with another table selection"
assert_exit 0 env GW_OPM_SRC="$GW_OPM_SRC" bash -c "exec \"\$GODWIT\" ${NEXT#godwit }"
assert_eq fetched "$(psql_tgt "$D3" "SELECT status FROM _godwit.phases WHERE name = 'mid'")" "phase after the continued fetch"
assert_digests_equal "$D3" "$D3" big gw_op_my3.big "id, v, d"
assert_digests_equal "$D3" "$D3" small gw_op_my3.small "id, v"

# ---------------------------------------------------------------- 5: SIGINT while the snapshot lock waits
D5=$(new_mdb gw_op_my5) || abort_test "create databases"
register_mdbs "$D5"
setup_m "$D5" "CREATE TABLE big (id int PRIMARY KEY, v varchar(100) NOT NULL) ENGINE=InnoDB;
    INSERT INTO big SELECT seq, REPEAT(MD5(seq), 3) FROM seq_1_to_20000;
    CREATE USER IF NOT EXISTS 'gw_op_pw'@'localhost' IDENTIFIED BY 'S3cr et!pw'; GRANT ALL ON *.* TO 'gw_op_pw'@'localhost';
    CREATE USER IF NOT EXISTS 'gw_op_pw'@'127.0.0.1' IDENTIFIED BY 'S3cr et!pw'; GRANT ALL ON *.* TO 'gw_op_pw'@'127.0.0.1'"
PW_URL=$(m_url "$D5" 'gw_op_pw:S3cr%20et%21pw')
PH5='Ph "ü" x'
# A session holding the table locked: FLUSH TABLES WITH READ LOCK waits for it.
mariadb_sql "$GW_MSRC_SERVER" "$D5" -e "LOCK TABLES big WRITE; SELECT SLEEP(600)" >/dev/null 2>&1 &
HOLD=$!
GW_BG_PIDS+=("$HOLD")
sleeper() { [ "$(msql "" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'")" = 1 ]; }
wait_for 30 sleeper || abort_test "the running statement on MariaDB"
bg_start F "$GODWIT" fetch --source "$PW_URL" --target "$(tgt_url "$D5")" --phase "$PH5" --jobs 1
F_ERR=$ERR
ftwrl_waits() { [ "$(msql "" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'FLUSH TABLES WITH READ LOCK%'")" -ge 1 ]; }
wait_for 30 ftwrl_waits || fail "the fetch's FLUSH TABLES WITH READ LOCK did not wait"
t0=$SECONDS
kill -INT "$F"
wait_exit "$F" 30
assert_eq 5 "$RC" "exit status of the fetch interrupted while its snapshot lock waited"
[ $((SECONDS - t0)) -le 5 ] || fail "the interrupted fetch took $((SECONDS - t0)) s to stop"
assert_not_contains "$F_ERR" "S3cr"
assert_eq 1 "$(grep -c "error" "$F_ERR")" "one error line (it has: $(_gw_first_lines "$F_ERR"))"
NEXT=$(sed -n 's/.*; continue with: //p' "$F_ERR")
note "continue with: $NEXT"
[[ $NEXT == "godwit fetch "*"gw_op_pw:***@"* ]] || abort_test "no command to continue with (password masked) in: $(_gw_first_lines "$F_ERR")"
msql "" "KILL $(msql "" "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'")"
wait "$HOLD" 2>/dev/null
NEXT=${NEXT//gw_op_pw:\*\*\*@/gw_op_pw:S3cr%20et%21pw@}
assert_exit 0 bash -c "exec \"\$GODWIT\" ${NEXT#godwit }"
assert_eq fetched "$(psql_tgt "$D5" "SELECT status FROM _godwit.phases WHERE name = 'Ph \"ü\" x'")" "phase after the continued fetch"
assert_digests_equal "$D5" "$D5" big gw_op_my5.big "id, v"
finish
