#!/usr/bin/env bash
# A shard whose commit the target refuses by itself (a serialization failure, SQLSTATE 40001, as
# CockroachDB's commit deadline gives) is copied again from the same snapshot in a new target session,
# and the fetch ends with every row once; a failure that is not transient still stops the fetch.
# The failure is made on a PostgreSQL target by a deferred constraint trigger (enabled ALWAYS, so it
# fires during the load) that raises 40001 at the commit of the first shard of table a only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$(new_dbs gw_transient) || abort_test "createdb"
register_dbs "$SRC"
setup_src "$SRC" - <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO a SELECT g, repeat(md5(g::text), 20) FROM generate_series(1, 20000) g;
CREATE TABLE b (id int PRIMARY KEY, v text);
INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 100) g;
ANALYZE;
SQL
target_sql() {   # FAILURE: the SQLSTATE the trigger raises once
    cat <<SQL
CREATE TABLE public.a (id int PRIMARY KEY, v text NOT NULL);
CREATE TABLE public.b (id int PRIMARY KEY, v text);
CREATE SEQUENCE public.fail_once;
CREATE FUNCTION public.fail_once() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF nextval('public.fail_once') = 1 THEN
    RAISE EXCEPTION 'simulated failure at commit' USING ERRCODE = '$1';
  END IF;
  RETURN NULL;
END \$\$;
CREATE CONSTRAINT TRIGGER fail_once AFTER INSERT ON public.a DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION public.fail_once();
ALTER TABLE public.a ENABLE ALWAYS TRIGGER fail_once;
SQL
}

TGT=$(new_dbs gw_transient_t) || abort_test "createdb"
register_dbs "$TGT"
target_sql 40001 | psql_tgt "$TGT" - >/dev/null || abort_test "target setup"
gw_fetch 0 "$SRC" "$TGT" --schema existing --jobs 2 --shard-size 1 --no-stream
assert_contains "$ERR" "copying it again (attempt 2 of 3)"
assert_tables_equal "$SRC" "$TGT" a id
assert_tables_equal "$SRC" "$TGT" b id
# The trigger's calls: the one that failed, then one per row of a, each copied once.
assert_eq 20001 "$(psql_tgt "$TGT" "SELECT last_value FROM public.fail_once")" "calls of the failing trigger"

# Not transient (a check violation): the fetch stops, naming it, and nothing is copied twice on --resume.
TGT2=$(new_dbs gw_transient_u) || abort_test "createdb"
register_dbs "$TGT2"
target_sql 23514 | psql_tgt "$TGT2" - >/dev/null || abort_test "target setup"
gw_fetch 4 "$SRC" "$TGT2" --schema existing --jobs 2 --shard-size 1 --no-stream
assert_contains "$ERR" "simulated failure at commit"
assert_not_contains "$ERR" "copying it again"
gw_fetch 0 "$SRC" "$TGT2" --schema existing --jobs 2 --shard-size 1 --no-stream --resume
assert_tables_equal "$SRC" "$TGT2" a id
finish
