#!/usr/bin/env bash
# godwit preflight --probe, PostgreSQL -> PostgreSQL (the probe runs by default on CockroachDB, which cannot
# run here: this proves the probe's runner on the engine family it shares).  An application's schema (quoted
# and unicode names, an enum, a domain, identity ALWAYS, a generated column, arrays, jsonb, bytea, a keyless
# table, an empty table, a self-referencing foreign key and one that cascades, a partitioned table) with a
# row filter:
# - every probe step passes, and the scratch database, its replication origin and nothing else are left
#   on either server (no state, no tables, no slot, no publication);
# - a target database in LATIN1: the probe's COPY of the phase's first row (a name with '€') fails, naming
#   the table and the encoding; the later steps are not run, the scratch database is dropped all the same,
#   exit 2; with a row filter whose first row is plain ASCII it passes (the probe copies the phase's row);
# - --no-probe, and a PostgreSQL target without --probe: "not run", exit 0;
# - a target user without CREATEDB: the probe's first step fails with the server's reason, exit 2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=$(new_dbs gw_pf_probe) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" - <<'SQL'
CREATE SCHEMA "App Data";
CREATE TYPE "App Data".mood AS ENUM ('ok', 'très bien');
CREATE DOMAIN "App Data".positive AS numeric CHECK (VALUE > 0);
CREATE TABLE "App Data"."Clients é" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, region text NOT NULL,
    mood "App Data".mood, score "App Data".positive, tags text[], doc jsonb, photo bytea, seen timestamptz,
    span interval, uid uuid, total numeric(12, 2), name_len int GENERATED ALWAYS AS (length(name)) STORED,
    CHECK (region <> ''));
INSERT INTO "App Data"."Clients é" (name, region, mood, score, tags, doc, photo, seen, span, uid, total)
VALUES ('Bob', 'B', 'ok', 1.5, '{a,"b c"}', '{"k": [1, null]}', '\x00ff', '2026-01-02 03:04:05+00', '1 day 02:00',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 12.5),
       ('Zoë €', 'A', 'très bien', 2, '{}', 'null', '\x', '2026-02-03 04:05:06+00', '-3 hours', NULL, -1);
CREATE TABLE "App Data".orders (id serial PRIMARY KEY,
    client bigint NOT NULL REFERENCES "App Data"."Clients é" ON DELETE CASCADE,
    parent int REFERENCES "App Data".orders, amount numeric);
CREATE INDEX "orders by client" ON "App Data".orders (client);
INSERT INTO "App Data".orders (client, parent, amount) VALUES (1, NULL, 10), (1, 1, 5), (2, NULL, 7);
CREATE TABLE "App Data".events (at timestamptz, what text);
INSERT INTO "App Data".events VALUES ('2026-01-01', 'start'), (NULL, 'no time');
CREATE TABLE "App Data".empty (id int PRIMARY KEY);
CREATE TABLE "App Data".measures (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE "App Data".measures_2026 PARTITION OF "App Data".measures FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE "App Data".measures_other PARTITION OF "App Data".measures DEFAULT;
INSERT INTO "App Data".measures VALUES (1, '2026-05-01', 1.25), (2, '2030-01-01', -0.5);
SQL
FILTER_A=$'"App Data"."Clients é": region = \'A\''
FILTER_B=$'"App Data"."Clients é": region = \'B\''

pf() {   # CODE TARGET_DB ARGS...
    local code=$1 t=$2; shift 2
    assert_exit "$code" "$GODWIT" preflight --source "$(src_url "$DB")" --target "$(tgt_url "$t")" "$@"
}
probe_dbs() { psql_tgt postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'godwit\_probe\_%'"; }
nothing_left() {   # TARGET_DB WHAT
    assert_eq 0 "$(probe_dbs)" "$2: scratch databases on the target server"
    assert_eq 0 "$(psql_tgt postgres "SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'godwit:%:probe:%'")" \
        "$2: replication origins on the target server"
    assert_eq 0 "$(psql_tgt "$1" "SELECT count(*) FROM pg_namespace WHERE nspname IN ('_godwit', 'App Data')")" \
        "$2: schemas in the target database"
    assert_eq "" "$(slots_of "$GW_SRC_SERVER" "$DB")" "$2: slots on the source"
    assert_eq 0 "$(psql_src "$DB" "SELECT count(*) FROM pg_publication")" "$2: publications on the source"
}
PROBE_STEPS=("probe: scratch database" "probe: godwit's state tables" "probe: the tables, every column type"
             "probe: COPY in a transaction" "probe: keys, constraints, indexes" "probe: reads at one snapshot"
             "probe: applied update, delete, insert, truncate" "probe: foreign keys, sequences"
             "probe: scratch database dropped")

# ---------------------------------------------------------------- every step passes
pf 0 "$DB" --probe --where "$FILTER_A"
for step in "${PROBE_STEPS[@]}"; do
    assert_contains_re "$OUT" "^ok +$step"
done
assert_contains "$OUT" "preflight: the migration can start"
nothing_left "$DB" "after a passing probe"
# As JSON, the same steps.
pf 0 "$DB" --probe --format json
assert_eq "${#PROBE_STEPS[@]}" "$(jq '[.checks[] | select(.check | startswith("probe: ")) | select(.result == "ok")] | length' "$OUT")" \
    "probe steps ok in the JSON"
nothing_left "$DB" "after a passing probe (json)"

# ---------------------------------------------------------------- the target's encoding refuses the phase's row
LATIN=gw_pf_probe_latin1
psql_tgt postgres "DROP DATABASE IF EXISTS $LATIN" >/dev/null
psql_tgt postgres "CREATE DATABASE $LATIN TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null ||
    abort_test "create the LATIN1 database"
register_dbs "$LATIN"
pf 2 "$LATIN" --probe --where "$FILTER_A"
assert_contains_re "$OUT" "^ok +target tables"
assert_contains_re "$OUT" '^PROBLEM +probe: COPY in a transaction: .*App Data.*Clients é.*LATIN1'
assert_contains_re "$OUT" "^not run +probe: keys, constraints, indexes"
assert_contains_re "$OUT" "^not run +probe: foreign keys, sequences"
assert_contains_re "$OUT" "^ok +probe: scratch database dropped"
assert_contains "$OUT" "fix the problems above"
nothing_left "$LATIN" "after a failed probe"
# The phase of region B: its first row is plain ASCII, and the probe passes.
pf 0 "$LATIN" --probe --where "$FILTER_B"
assert_contains_re "$OUT" "^ok +probe: COPY in a transaction"
nothing_left "$LATIN" "after the probe of region B"

# ---------------------------------------------------------------- not asked for
pf 0 "$DB" --no-probe
assert_contains_re "$OUT" "^not run +target probe: --no-probe"
assert_not_contains "$OUT" "probe: scratch"
pf 0 "$DB"
assert_contains_re "$OUT" "^not run +target probe: .*--probe"

# ---------------------------------------------------------------- a target user who cannot create a database
psql_tgt "$DB" "DROP ROLE IF EXISTS gw_pf_nocreate; CREATE ROLE gw_pf_nocreate LOGIN;
                GRANT CREATE ON DATABASE $DB TO gw_pf_nocreate" >/dev/null || abort_test "role"
assert_exit 2 "$GODWIT" preflight --source "$(src_url "$DB")" --target "$(pg_url "$GW_TGT_SERVER" "$DB" gw_pf_nocreate)" \
    --probe
assert_contains_re "$OUT" "^PROBLEM +probe: scratch database: .*permission denied to create database"
assert_contains_re "$OUT" "^not run +probe: godwit's state tables"
assert_not_contains "$OUT" "scratch database dropped"
nothing_left "$DB" "after a probe refused its database"
psql_tgt "$DB" "REVOKE ALL ON DATABASE $DB FROM gw_pf_nocreate; DROP ROLE gw_pf_nocreate" >/dev/null

finish
