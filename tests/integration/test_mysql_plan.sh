#!/usr/bin/env bash
# A phased plan with a MariaDB source: the rows no phase takes are counted on MariaDB with the same
# comparison the copy uses (text compared bytewise, whatever the column's case-insensitive collation:
# region = 'A' does not take 'a'), refused with exit 2 before anything is created, accepted with
# --allow-uncovered; two phases fetched into one target database hold exactly their rows (checked by
# SQL on each side); a statically overlapping plan is refused.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_mdb gw_mplan) || abort_test "create databases"
register_mdbs "$DB"
setup_m "$DB" - <<'SQL'
CREATE TABLE orders (id INT PRIMARY KEY, region VARCHAR(4), amount DECIMAL(10,2)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(20));
INSERT INTO orders SELECT seq, ELT(1 + seq % 3, 'A', 'B', 'a'), seq + 0.5 FROM seq_1_to_300;
INSERT INTO notes SELECT seq, CONCAT('n', seq) FROM seq_1_to_50;
SQL

PLAN=$GW_OUT/plan.json
cat >"$PLAN" <<JSON
{"phases": [
  {"name": "m_a", "tables": ["$DB.*"], "where": {"$DB.orders": "region = 'A'"}},
  {"name": "m_b", "tables": ["$DB.orders"], "where": {"$DB.orders": "region = 'B'"}}
]}
JSON

GW_CONTEXT="uncovered"
gw_mfetch 2 "$DB" "$DB" --no-stream --plan "$PLAN" --phase m_a
assert_contains "$ERR" "table $DB.orders: 100 rows match no phase's predicate (m_a: region = 'A'; m_b: region = 'B')"
assert_no_user_tables "$DB"
assert_eq 0 "$(psql_tgt "$DB" "SELECT count(*) FROM pg_namespace WHERE nspname = '_godwit'")" "no _godwit schema on the target"

# m_rows SQLWHERE / p_rows SQLWHERE: "count sum" of orders on each side.
m_rows() { msql "$DB" "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders WHERE $1" | tr '\t' ' '; }
p_rows() { psql_tgt "$DB" "SELECT count(*) || ' ' || coalesce(sum(amount), 0) FROM $DB.orders WHERE $1"; }

GW_CONTEXT="m_a with --allow-uncovered"
gw_mfetch 0 "$DB" "$DB" --no-stream --plan "$PLAN" --phase m_a --allow-uncovered
assert_contains "$ERR" "they stay on the source only"
assert_eq "$(m_rows "region = BINARY 'A'")" "$(p_rows "region = 'A'")" "rows of phase m_a"
assert_eq "$(m_rows "region = BINARY 'A'")" "$(p_rows "TRUE")" "only phase m_a's rows"
assert_eq 50 "$(psql_tgt "$DB" "SELECT count(*) FROM $DB.notes")" "notes, whole in m_a"

GW_CONTEXT="m_b"
gw_mfetch 0 "$DB" "$DB" --no-stream --plan "$PLAN" --phase m_b --allow-uncovered
assert_eq "$(m_rows "region = BINARY 'B'")" "$(p_rows "region = 'B'")" "rows of phase m_b"
assert_eq "$(m_rows "region IN (BINARY 'A', BINARY 'B')")" "$(p_rows "TRUE")" "rows of both phases"

GW_CONTEXT="static overlap"
cat >"$GW_OUT/overlap.json" <<JSON
{"phases": [
  {"name": "m_x", "where": {"$DB.orders": "region IN ('A', 'B')"}},
  {"name": "m_y", "tables": ["$DB.orders"], "where": {"$DB.orders": "region = 'B'"}}
]}
JSON
gw_mfetch 2 "$DB" "$DB" --no-stream --plan "$GW_OUT/overlap.json" --phase m_x
assert_contains "$ERR" "phase 'm_x' (region IN ('A', 'B')) and phase 'm_y' (region = 'B') overlap"
assert_short_message "$ERR" 1

finish
