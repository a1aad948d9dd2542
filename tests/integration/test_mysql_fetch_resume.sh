#!/usr/bin/env bash
# MariaDB -> PostgreSQL: kill -9 of a running fetch, then --resume, ends exactly equal.  The fetch is
# killed once the first shards of a large table are committed on the target; without --resume it is
# refused; --resume keeps the committed shards, copies the others under a new snapshot (each records
# its position), then builds keys, indexes, foreign keys and identity values.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_resume) || abort_test "create databases"
register_mdbs "$DB"
ROWS=${GW_MY_RESUME_ROWS:-600000}
setup_m "$DB" - <<SQL
CREATE TABLE big (id int AUTO_INCREMENT PRIMARY KEY, k char(32) NOT NULL, pad varchar(300), KEY k_idx (k));
INSERT INTO big SELECT seq, MD5(seq), REPEAT(CHAR(65 + seq % 26), 200 + seq % 100) FROM seq_1_to_$ROWS;
CREATE TABLE small (id int PRIMARY KEY, big_id int, v varchar(10), CONSTRAINT small_big FOREIGN KEY (big_id) REFERENCES big (id));
INSERT INTO small SELECT seq, seq * 10, CONCAT('v', seq) FROM seq_1_to_3000;
ANALYZE TABLE big, small;
SQL

fetch_gone() { ! kill -0 "$FETCH_PID" 2>/dev/null; }
shard_done() {
    fetch_gone && return 0
    [ "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = 'big' AND done" 2>/dev/null)" -ge 2 ] 2>/dev/null
}
bg_start FETCH_PID "$GODWIT" fetch --source "$(m_url "$DB")" --target "$(tgt_url "$DB")" --jobs 2 --shard-size 8
FETCH_ERR=$ERR
wait_for 120 shard_done || fail "no shard of big was committed within 120 s: $(_gw_first_lines "$FETCH_ERR")"
if fetch_gone; then
    wait "$FETCH_PID"
    fail "the fetch ended (status $?) before it could be killed (raise GW_MY_RESUME_ROWS)"
else
    kill -9 "$FETCH_PID"
    wait "$FETCH_PID" 2>/dev/null
    kept=$(psql_tgt "$DB" "SELECT count(*) FROM gw_my_resume.big")
    done_before=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = 'big' AND done")
    total=$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE table_name = 'big'")
    note "killed with $kept rows of big committed ($done_before of $total shards)"
    [ "$done_before" -lt "$total" ] || note "every shard of big was done at kill time"
    gw_mfetch 2 "$DB" "$DB"
    assert_contains "$ERR" "--resume"
    gw_mfetch 0 "$DB" "$DB" --resume --jobs 2
fi
assert_digests_equal "$DB" "$DB" big gw_my_resume.big "id, k, pad"
assert_digests_equal "$DB" "$DB" small gw_my_resume.small "id, big_id, v"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE NOT done")" "every shard done"
assert_eq fetched "$(psql_tgt "$DB" "SELECT status FROM _godwit.phases")" "phase status"
assert_eq "big_k_idx big_pkey" "$(psql_tgt "$DB" "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'big'")" "indexes of big"
assert_eq 1 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_constraint WHERE conname = 'small_big'")" "foreign key small_big"
r=$(psql_tgt "$DB" "BEGIN; INSERT INTO gw_my_resume.big (k) VALUES ('new') RETURNING id; ROLLBACK;" 2>&1)
assert_eq "$((ROWS + 1))" "$r" "identity of big continues after the source's AUTO_INCREMENT"
n=$(psql_tgt "$DB" "SELECT count(DISTINCT snapshot_position) FROM _godwit.fetch_progress WHERE table_name = 'big'")
assert_ge 1 "$n" "shard positions recorded"
finish
