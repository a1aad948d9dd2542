#!/usr/bin/env bash
# One consistent snapshot while the source is written to, and the hand-off to the stream.
#
# A writer on the source moves money between accounts, one transaction per transfer: two balance
# updates, one ledger row and a counter bump.  fetch runs meanwhile, with small shards copied by two
# workers.  If any shard or table came from another instant, the invariants on the target break:
#   balance of every account = its ledger credits - debits; counter = ledger rows; ledger ids dense.
# Hand-off ("no gap, no duplicate"): the slot's stream from the start position holds exactly the
# writer's transactions the snapshot did not see: ledger inserts in the stream = source ledger rows
# - target ledger rows (peeked with pgoutput, not consumed).
# The same invariants are checked for --no-stream (plain exported snapshot).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_consist) || abort_test "createdb"
T1=$(new_dbs gw_consist_t1) || abort_test "createdb"
T2=$(new_dbs gw_consist_t2) || abort_test "createdb"
register_dbs "$SRC" "$T1" "$T2"

setup_src "$SRC" - <<'SQL'
CREATE TABLE accounts (id integer PRIMARY KEY, balance bigint NOT NULL, pad text);
CREATE TABLE ledger (id bigserial PRIMARY KEY, from_acct integer NOT NULL, to_acct integer NOT NULL, amount integer NOT NULL, pad text);
CREATE TABLE counter (id integer PRIMARY KEY, n bigint NOT NULL);
CREATE TABLE ctl (id integer PRIMARY KEY, stop boolean NOT NULL);
INSERT INTO ledger (from_acct, to_acct, amount, pad)
    SELECT 1 + (i::bigint * 7919) % 100000, 1 + (i::bigint * 104729) % 100000, 1 + i % 100, repeat('l', 60) FROM generate_series(1, 100000) i;
INSERT INTO accounts
    SELECT a, coalesce(l.s, 0), repeat('p', 100)
    FROM generate_series(1, 100000) a
    LEFT JOIN (SELECT acct, sum(d) AS s FROM (SELECT to_acct AS acct, amount AS d FROM ledger
                                              UNION ALL SELECT from_acct, -amount FROM ledger) x GROUP BY acct) l ON l.acct = a;
INSERT INTO counter VALUES (1, 100000);
INSERT INTO ctl VALUES (1, false);
CREATE INDEX ledger_to_idx ON ledger (to_acct);
CREATE INDEX ledger_from_idx ON ledger (from_acct);
CREATE PROCEDURE writer() LANGUAGE plpgsql AS $$
DECLARE a integer; b integer; amt integer;
BEGIN
    LOOP
        EXIT WHEN (SELECT stop FROM ctl WHERE id = 1);
        a := 1 + floor(random() * 100000)::integer;
        b := 1 + floor(random() * 100000)::integer;
        amt := 1 + floor(random() * 100)::integer;
        UPDATE accounts SET balance = balance - amt WHERE id = a;
        UPDATE accounts SET balance = balance + amt WHERE id = b;
        INSERT INTO ledger (from_acct, to_acct, amount, pad) VALUES (a, b, amt, repeat('w', 60));
        UPDATE counter SET n = n + 1 WHERE id = 1;
        COMMIT;
        PERFORM pg_sleep(0.0005);
    END LOOP;
END $$;
ANALYZE;
SQL

check_invariants() {
    local db=$1 side=$2 bad
    bad=$("psql_$side" "$db" "
        SELECT 'accounts whose balance differs from the ledger: ' || count(*) FROM accounts a
          LEFT JOIN (SELECT acct, sum(d) AS s FROM (SELECT to_acct AS acct, amount AS d FROM ledger
                                                    UNION ALL SELECT from_acct, -amount FROM ledger) x GROUP BY acct) l ON l.acct = a.id
         WHERE a.balance <> coalesce(l.s, 0)
        UNION ALL SELECT 'counter - ledger rows: ' || ((SELECT n FROM counter) - (SELECT count(*) FROM ledger))
        UNION ALL SELECT 'ledger max(id) - count: ' || ((SELECT max(id) FROM ledger) - (SELECT count(*) FROM ledger))
        UNION ALL SELECT 'sum of balances: ' || (SELECT sum(balance) FROM accounts)" 2>&1)
    assert_eq "accounts whose balance differs from the ledger: 0
counter - ledger rows: 0
ledger max(id) - count: 0
sum of balances: 0" "$bad" "consistency invariants on $side db $db"
}

WRITER_PID=""
start_writer() {
    setup_src "$SRC" "UPDATE ctl SET stop = false"
    local before; before=$(psql_src "$SRC" "SELECT n FROM counter")
    # synchronous_commit on: the writer's commits are flushed, so a peek of the slot sees them all.
    bg_start WRITER_PID env PGOPTIONS="-c synchronous_commit=on" psql -X -q -v ON_ERROR_STOP=1 -d "$(src_url "$SRC")" -c "CALL writer()"
    WRITER_ERR=$ERR
    writer_moved() { [ "$(psql_src "$SRC" "SELECT n FROM counter")" -gt $((before + 50)) ]; }
    wait_for 30 writer_moved || abort_test "the writer on the source does not write"
}
stop_writer() {
    setup_src "$SRC" "UPDATE ctl SET stop = true"
    wait "$WRITER_PID" || fail "the writer on the source failed: $(_gw_first_lines "$WRITER_ERR")"
}

# 1. Streaming fetch while the writer runs.
start_writer
n0=$(psql_src "$SRC" "SELECT n FROM counter")
gw_fetch 0 "$SRC" "$T1" --jobs 2 --shard-size 1
rc1=$RC
n1=$(psql_src "$SRC" "SELECT n FROM counter")
stop_writer
note "writer transactions: $n0 before the fetch started, $n1 when it ended"
[ $((n1 - n0)) -ge 20 ] || note "few writes happened during the fetch ($((n1 - n0))); the test is weak on this machine"
check_invariants "$SRC" src
if [ "$rc1" = 0 ]; then
    check_invariants "$T1" tgt
    tgt_rows=$(psql_tgt "$T1" "SELECT count(*) FROM ledger")
    src_rows=$(psql_src "$SRC" "SELECT count(*) FROM ledger")
    [ "$tgt_rows" -gt 100000 ] || note "the snapshot was taken before any writer transaction of this run"
    pub=$(psql_src "$SRC" "SELECT string_agg(pubname, ',') FROM pg_publication")
    # Count inserts ('I') in the stream, per relation: only ledger gets inserts.
    ins=$(psql_src "$SRC" "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('$(slot_name "$T1" default)', NULL, NULL,
            'proto_version', '1', 'publication_names', '$pub') WHERE get_byte(data, 0) = ascii('I')" 2>&1)
    assert_eq "$((src_rows - tgt_rows))" "$ins" "ledger inserts in the slot's stream after the start position (source rows $src_rows - target rows $tgt_rows)"
fi
reset_stream "$SRC"

# 2. --no-stream while the writer runs.
start_writer
gw_fetch 0 "$SRC" "$T2" --jobs 2 --shard-size 1 --no-stream
rc2=$RC
stop_writer
[ "$rc2" = 0 ] && check_invariants "$T2" tgt
assert_no_slot "$SRC"

finish
