#!/usr/bin/env bash
# kill -9 of a running fetch, then --resume: exact result.  Three kill points, each into its own
# target database (same source database; the slot is dropped between scenarios):
#   A. during the copy, once a shard is committed on the target (or, if the tool does not commit
#      per shard, once half the data was written); completed shards must be kept on resume.
#   B. right after start (slot or _godwit state created), before any shard is done.
#   C. while an index of big is being built on the target (after the data);
#      opportunistic: skipped with a note if the fetch ends before the test sees that moment.
#   D. SIGINT (Ctrl-C) during the copy: godwit stops promptly with a non-zero status, leaves no
#      session running on the target, and --resume finishes exactly.
# Also: fetch without --resume on an interrupted or completed target is refused (exit 2, "--resume").
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_resume) || abort_test "createdb"
TA=$(new_dbs gw_resume_a) || abort_test "createdb"
TB=$(new_dbs gw_resume_b) || abort_test "createdb"
TC=$(new_dbs gw_resume_c) || abort_test "createdb"
TD=$(new_dbs gw_resume_d) || abort_test "createdb"
register_dbs "$SRC" "$TA" "$TB" "$TC" "$TD"

ROWS=${GW_RESUME_ROWS:-1000000}
setup_src "$SRC" - <<SQL
CREATE TABLE big (id bigint PRIMARY KEY, k text NOT NULL, pad text);
INSERT INTO big SELECT i, md5(i::text), repeat(chr(65 + i % 26), 100) FROM generate_series(1, $ROWS) i;
CREATE INDEX big_k_idx ON big (k);
CREATE TABLE small1 (id serial PRIMARY KEY, v text);
CREATE TABLE small2 (id serial PRIMARY KEY, big_id bigint REFERENCES big (id), v text);
CREATE TABLE small3 (id text PRIMARY KEY);
INSERT INTO small1 (v) SELECT 'v' || i FROM generate_series(1, 3000) i;
INSERT INTO small2 (big_id, v) SELECT i * 10, 'w' || i FROM generate_series(1, 3000) i;
INSERT INTO small3 SELECT 'k' || i FROM generate_series(1, 3000) i;
ANALYZE;
SQL
BIG_SIZE=$(psql_src "$SRC" "SELECT pg_relation_size('big')")

check_all_equal() {
    local t=$1
    assert_tables_equal "$SRC" "$t" public.big id
    assert_tables_equal "$SRC" "$t" public.small1 id
    assert_tables_equal "$SRC" "$t" public.small2 id
    assert_tables_equal "$SRC" "$t" public.small3 id
    assert_eq 1 "$(psql_tgt "$t" "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_k_idx'" 2>&1)" "$t: index big_k_idx after resume"
    assert_eq 1 "$(psql_tgt "$t" "SELECT count(*) FROM pg_constraint WHERE conrelid = 'small2'::regclass AND contype = 'f'" 2>&1)" "$t: foreign key small2 -> big after resume"
    # In a rolled-back transaction: check_all_equal runs more than once on a target.
    local r; r=$(psql_tgt "$t" "BEGIN; INSERT INTO small1 (v) VALUES ('new') RETURNING id > 3000; ROLLBACK;" 2>&1)
    assert_eq t "$r" "$t: small1 serial continues past the copied values after resume"
    assert_eq 1 "$(psql_src postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$SRC'")" "$t: one replication slot for the source database"
}

# Start a fetch into TGT in the background; FETCH_PID is its pid.
start_fetch() {
    local t=$1; shift
    bg_start FETCH_PID "$GODWIT" fetch --source "$(src_url "$SRC")" --target "$(tgt_url "$t")" --jobs 2 "$@"
    FETCH_OUT=$OUT FETCH_ERR=$ERR
}

# Conditions polled with wait_for; each also ends the wait when the fetch has exited.
fetch_gone() { ! kill -0 "$FETCH_PID" 2>/dev/null; }
big_exists() { [ "$(psql_tgt "$1" "SELECT to_regclass('public.big') IS NOT NULL" 2>/dev/null)" = t ]; }
cond_copy_midway() {
    fetch_gone && return 0
    big_exists "$1" || return 1
    [ "$(psql_tgt "$1" "SELECT EXISTS (SELECT 1 FROM public.big) OR pg_relation_size('public.big') > $BIG_SIZE / 2" 2>/dev/null)" = t ]
}
cond_started() {
    fetch_gone && return 0
    [ "$(psql_src postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$SRC'" 2>/dev/null)" != 0 ] && return 0
    [ "$(psql_tgt "$1" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'" 2>/dev/null)" = 1 ]
}
cond_index_build() {
    fetch_gone && return 0
    [ "$(psql_tgt "$1" "SELECT count(*) FROM pg_stat_progress_create_index
                        WHERE datname = current_database() AND relid = to_regclass('public.big')" 2>/dev/null)" -gt 0 ] 2>/dev/null
}

# kill_fetch_when WHAT COND TGT: waits for COND, then kill -9.  Returns 1 if the fetch had already
# exited (the kill point was missed); its exit code is then in FETCH_RC.
kill_fetch_when() {
    local what=$1 cond=$2 t=$3
    if ! wait_for 120 "$cond" "$t"; then
        fail "$what: condition not reached within 120s: $(_gw_first_lines "$FETCH_ERR")"
    fi
    if fetch_gone; then
        wait "$FETCH_PID"; FETCH_RC=$?
        return 1
    fi
    kill -9 "$FETCH_PID"
    wait "$FETCH_PID" 2>/dev/null; FETCH_RC=$?
    note "$what: killed fetch (pid $FETCH_PID, status $FETCH_RC)"
    return 0
}

# ---- A: during the copy
start_fetch "$TA"
if kill_fetch_when "A (mid-copy)" cond_copy_midway "$TA"; then
    kept=$(psql_tgt "$TA" "SELECT count(*) FROM public.big" 2>&1)
    kept_xmins=$(psql_tgt "$TA" "SELECT coalesce(string_agg(DISTINCT xmin::text, ','), '') FROM public.big" 2>&1)
    note "A: at kill time $kept rows of big committed on target (size of source table $BIG_SIZE bytes)"
    # Without --resume: refused, pointing at --resume.
    gw_fetch 2 "$SRC" "$TA" --jobs 2
    assert_contains "$ERR" "--resume"
    gw_fetch 0 "$SRC" "$TA" --jobs 2 --resume
    check_all_equal "$TA"
    if [[ $kept =~ ^[0-9]+$ ]] && [ "$kept" -gt 0 ]; then
        still=$(psql_tgt "$TA" "SELECT count(*) FROM public.big WHERE xmin::text = ANY (string_to_array('$kept_xmins', ','))" 2>&1)
        assert_eq "$kept" "$still" "A: rows of shards completed before the kill are kept by --resume (not copied again)"
    fi
    shards=$(psql_tgt "$TA" "SELECT count(*) FROM _godwit.fetch_progress p WHERE row_to_json(p)::text LIKE '%big\"%'" 2>&1)
    assert_ge 2 "$shards" "A: shards of the 2M-row table big in _godwit.fetch_progress with --jobs 2 (one huge table must not be copied by one worker)"
    # Completed: a new fetch without --resume is refused too.
    gw_fetch 2 "$SRC" "$TA" --jobs 2
    assert_contains "$ERR" "--resume"
    check_all_equal "$TA"
else
    fail "A: fetch exited (status $FETCH_RC) before the kill point (if 0: too fast for the test, raise GW_RESUME_ROWS); stderr: $(_gw_first_lines "$FETCH_ERR")"
fi
reset_stream "$SRC"

# ---- B: right after start
start_fetch "$TB"
if kill_fetch_when "B (right after start)" cond_started "$TB"; then
    big_exists "$TB" && note "B: rows of big committed at kill time: $(psql_tgt "$TB" "SELECT count(*) FROM public.big")"
    recorded=$(psql_tgt "$TB" "SELECT count(*) FROM _godwit.phases WHERE name = 'default'" 2>/dev/null || echo 0)
    if [ "$recorded" = 1 ]; then
        # The phase was recorded: a plain fetch is refused, pointing at --resume.
        gw_fetch 2 "$SRC" "$TB" --jobs 2
        assert_contains "$ERR" "--resume"
        gw_fetch 0 "$SRC" "$TB" --jobs 2 --resume
    else
        # Killed between creating _godwit and recording the phase: nothing to resume, and no slot was
        # made yet; a plain fetch starts over.
        note "B: killed before the phase was recorded"
        assert_eq 0 "$(psql_src postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$SRC'")" \
            "slots left by a fetch killed before recording its phase"
        gw_fetch 0 "$SRC" "$TB" --jobs 2
    fi
    check_all_equal "$TB"
else
    fail "B: fetch exited (status $FETCH_RC) before it could be killed right after start; stderr: $(_gw_first_lines "$FETCH_ERR")"
fi
reset_stream "$SRC"

# ---- C: while an index of big is being built on the target (after its data; opportunistic).
#      The target's backend goes on building the index after the client is killed, so --resume
#      meets an index build still running.
start_fetch "$TC"
if kill_fetch_when "C (index build)" cond_index_build "$TC"; then
    gw_fetch 0 "$SRC" "$TC" --jobs 2 --resume
    check_all_equal "$TC"
else
    if [ "$FETCH_RC" = 0 ]; then
        note "C: skipped: the fetch finished before the test saw an index build on big"
        check_all_equal "$TC"
    else
        fail "C: fetch failed with status $FETCH_RC: $(_gw_first_lines "$FETCH_ERR")"
    fi
fi
reset_stream "$SRC"

# ---- D: SIGINT during the copy
start_fetch "$TD"
if wait_for 120 cond_copy_midway "$TD" && ! fetch_gone; then
    kill -INT "$FETCH_PID"
    if wait_for 30 fetch_gone; then
        wait "$FETCH_PID"; FETCH_RC=$?
        note "D: status after SIGINT: $FETCH_RC; stderr: $(tail -n 3 "$FETCH_ERR" | tr '\n' ' ' | cut -c1-400)"
        [ "$FETCH_RC" != 0 ] || fail "D: fetch interrupted by SIGINT during the copy exited 0"
        tgt_sessions() { [ "$(psql_tgt "$TD" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'" 2>/dev/null)" = 0 ]; }
        wait_for 15 tgt_sessions ||
            fail "D: sessions still running on the target 15s after godwit exited on SIGINT: $(psql_tgt "$TD" "SELECT string_agg(left(query, 60), ' | ') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'" 2>&1)"
        gw_fetch 0 "$SRC" "$TD" --jobs 2 --resume
        check_all_equal "$TD"
    else
        kill -9 "$FETCH_PID" 2>/dev/null
        fail "D: fetch still running 30s after SIGINT"
    fi
else
    wait "$FETCH_PID"; FETCH_RC=$?
    if [ "$FETCH_RC" = 0 ]; then
        note "D: skipped: the fetch finished before the test could interrupt it"
    else
        fail "D: fetch failed with status $FETCH_RC before it was interrupted: $(_gw_first_lines "$FETCH_ERR")"
    fi
fi

finish
