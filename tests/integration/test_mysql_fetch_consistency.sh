#!/usr/bin/env bash
# MariaDB -> PostgreSQL under concurrent writes.  A writer commits transactions that each insert the
# same id into t1 and t2 while the fetch runs with --jobs 3 (t1 and t2 copied by different sessions).
#   - With the global read lock: t1 and t2 hold the same ids on the target (one instant for every
#     session), the lock is held for milliseconds only, and the recorded position is exactly the
#     snapshot's: the ids the binlog inserts after it (decoded by mariadb-binlog, not by godwit) are
#     exactly the ids the source has and the target lacks.  Its GTID is the server's for that point.
#   - Without the RELOAD privilege: each session takes its own snapshot; each table's shard records
#     its own position, for which the same exactness holds, and the phase's stream starts at the
#     earliest.  A table without a primary key is refused in that mode, before anything is created.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_my_consist) || abort_test "create databases"
register_mdbs "$DB"
T2=gw_my_consist_norl
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"

setup_m "$DB" - <<'SQL'
CREATE TABLE t1 (id int PRIMARY KEY, v int);
CREATE TABLE t2 (id int PRIMARY KEY, v int);
CREATE TABLE filler (id int PRIMARY KEY, pad varchar(300));
INSERT INTO filler SELECT seq, REPEAT('f', 300) FROM seq_1_to_100000;
ANALYZE TABLE t1, t2, filler;
CREATE USER IF NOT EXISTS 'norl'@'127.0.0.1' IDENTIFIED BY 'norl-pw';
GRANT SELECT ON *.* TO 'norl'@'127.0.0.1';
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'norl'@'127.0.0.1';
SQL

# The writer: one client, each transaction inserting id i into t1 and t2; it runs until killed.
start_writer() {
    local from=$1
    python3 - "$from" >"$GW_OUT/writer.sql" <<'PY'
import sys
start = int(sys.argv[1])
for i in range(start, start + 200000):
    print("BEGIN; INSERT INTO t1 VALUES (%d, %d); INSERT INTO t2 VALUES (%d, %d); COMMIT; DO SLEEP(0.0005);" % (i, i, i, i))
PY
    bg_start WRITER_PID mariadb --no-defaults -S "$MSRC_SOCK" -u root -N -B "$DB" -e "source $GW_OUT/writer.sql"
}
stop_writer() {
    kill "$WRITER_PID" 2>/dev/null
    wait "$WRITER_PID" 2>/dev/null
    # The server rolls back the transaction the client was in; wait until it is gone.
    wait_for 10 writer_gone || fail "the writer's session is still running"
}
writer_gone() { [ "$(msql "" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '$DB' AND ID <> CONNECTION_ID()")" = 0 ]; }
rows_in() { msql "$DB" "SELECT COUNT(*) FROM $1"; }
wait_rows() { [ "$(rows_in t1)" -ge "$1" ] 2>/dev/null; }

# binlog_ids_after POSITION TABLE: ids the binlog inserts into DB.TABLE after POSITION ("file:offset ...").
binlog_ids_after() {
    local file=${1%%:*} rest=${1#*:}
    local off=${rest%% *} files=() f started=""
    for f in $(ls "$MSRC_DIR/binlog" | grep -E '^mysql-bin\.[0-9]+$' | sort); do
        [ "$f" = "$file" ] && started=1
        [ -n "$started" ] && files+=("$MSRC_DIR/binlog/$f")
    done
    mariadb-binlog --no-defaults --start-position="$off" --base64-output=decode-rows -v "${files[@]}" 2>"$GW_OUT/binlog.err" |
        python3 -c '
import sys
want = "### INSERT INTO `%s`.`%s`" % (sys.argv[1], sys.argv[2])
inside = False
for line in sys.stdin:
    if line.startswith("### INSERT INTO") or line.startswith("### UPDATE") or line.startswith("### DELETE"):
        inside = line.strip() == want
    elif inside and line.startswith("###   @1="):
        print(line.strip()[9:])
        inside = False
' "$DB" "$2" | sort -n
}

# assert_exact_at POSITION TABLE TGTDB WHAT: target ids + binlog ids after POSITION = source ids, no overlap.
assert_exact_at() {
    local pos=$1 t=$2 tdb=$3 what=$4
    msql "$DB" "SELECT id FROM $t ORDER BY id" >"$GW_OUT/src.$t"
    psql_tgt "$tdb" "SELECT id FROM gw_my_consist.$t ORDER BY id" >"$GW_OUT/tgt.$t"
    binlog_ids_after "$pos" "$t" >"$GW_OUT/after.$t"
    local overlap missing
    overlap=$(comm -12 "$GW_OUT/tgt.$t" "$GW_OUT/after.$t" | wc -l)
    missing=$(sort -n "$GW_OUT/tgt.$t" "$GW_OUT/after.$t" | comm -3 - "$GW_OUT/src.$t" | wc -l)
    note "$what: $(wc -l <"$GW_OUT/src.$t") source rows, $(wc -l <"$GW_OUT/tgt.$t") copied, $(wc -l <"$GW_OUT/after.$t") in the binlog after $pos"
    assert_eq 0 "$overlap" "$what: rows both copied and in the binlog after the position (position too early)"
    assert_eq 0 "$missing" "$what: source rows neither copied nor after the position (position too late)"
    assert_ge 1 "$(wc -l <"$GW_OUT/after.$t")" "$what: rows committed after the snapshot (the writer ran during the fetch)"
    assert_ge 1 "$(wc -l <"$GW_OUT/tgt.$t")" "$what: rows committed before the snapshot"
}

# ---- with the global read lock (root has RELOAD)
start_writer 1
wait_for 30 wait_rows 200 || fail "the writer did not start"
gw_mfetch 0 "$DB" "$DB" --jobs 3 --shard-size 1
wait_for 30 wait_rows "$(( $(rows_in t1) + 200 ))" || fail "the writer stopped"
stop_writer
POS=$(psql_tgt "$DB" "SELECT snapshot_position FROM _godwit.phases WHERE name = 'default'")
note "recorded position: $POS"
assert_contains_re <(echo "$POS") '^mysql-bin\.[0-9]+:[0-9]+ gtid=0-1-[0-9]+$'
assert_eq "$(psql_tgt "$DB" "SELECT count(*) || ' ' || coalesce(max(id), 0) || ' ' || coalesce(sum(id), 0) FROM gw_my_consist.t1")" \
    "$(psql_tgt "$DB" "SELECT count(*) || ' ' || coalesce(max(id), 0) || ' ' || coalesce(sum(id), 0) FROM gw_my_consist.t2")" \
    "t1 and t2 copied by different sessions hold the same rows (one instant)"
assert_exact_at "$POS" t1 "$DB" "lock mode, t1"
assert_exact_at "$POS" t2 "$DB" "lock mode, t2"
file=${POS%%:*} rest=${POS#*:}
assert_eq "${POS#* gtid=}" "$(msql "" "SELECT BINLOG_GTID_POS('$file', ${rest%% *})")" "GTID of the recorded position"
ms=$(grep -ao 'global read lock held for [0-9.]* ms' "$ERR" | grep -o '[0-9.]*' | head -1)
note "global read lock held for $ms ms"
[ -n "$ms" ] && awk -v m="$ms" 'BEGIN { exit !(m < 1000) }' || fail "global read lock held for '${ms}' ms (expected milliseconds)"
assert_eq "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress")" \
    "$(psql_tgt "$DB" "SELECT count(*) FROM _godwit.fetch_progress WHERE snapshot_position = '$POS'")" \
    "every shard records the one snapshot's position"

# ---- without RELOAD: per-session snapshots
NORL="mysql://norl:norl-pw@127.0.0.1:$MSRC_PORT/$DB"
setup_m "$DB" "CREATE TABLE nokey (v int); INSERT INTO nokey VALUES (1)"
assert_exit 2 "$GODWIT" fetch --source "$NORL" --target "$(tgt_url "$T2")"
assert_contains "$ERR" "RELOAD"
assert_contains "$ERR" "nokey"
assert_short_message "$ERR"
assert_no_user_tables "$T2"
start_writer 1000000
wait_for 30 wait_rows "$(( $(rows_in t1) + 200 ))" || fail "the writer did not start"
assert_exit 0 "$GODWIT" fetch --source "$NORL" --target "$(tgt_url "$T2")" --jobs 2 --exclude nokey
wait_for 30 wait_rows "$(( $(rows_in t1) + 200 ))" || fail "the writer stopped"
stop_writer
PHASE_POS=$(psql_tgt "$T2" "SELECT snapshot_position FROM _godwit.phases WHERE name = 'default'")
for t in t1 t2; do
    SPOS=$(psql_tgt "$T2" "SELECT snapshot_position FROM _godwit.fetch_progress WHERE table_name = '$t'")
    note "$t: shard position $SPOS, phase position $PHASE_POS"
    assert_exact_at "$SPOS" "$t" "$T2" "per-session mode, $t"
    # The phase's position is the earliest: no shard's position comes before it.
    p1=${PHASE_POS%% *} p2=${SPOS%% *}
    [ "$(printf '%s\n%s\n' "$p1" "$p2" | sort -t: -k1,1 -k2,2n | head -1)" = "$p1" ] ||
        fail "phase position $p1 is after $t's shard position $p2"
done
finish
