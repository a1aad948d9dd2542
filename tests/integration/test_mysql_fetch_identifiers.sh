#!/usr/bin/env bash
# MariaDB -> PostgreSQL with names that need quoting on both sides: a database with capitals, a space
# and unicode; tables and columns with spaces, quotes, backticks, capitals, unicode and keywords; an
# enum, an AUTO_INCREMENT column, a unique key, an index and a foreign key between such tables; a
# --where on a quoted column; --tables globs on db.table.  Then the target is checked by --schema
# existing against the same catalog (every column type, enum types included, spelled as PostgreSQL
# spells it), and a glob that matches nothing is refused.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MDB='Gw Ïdent"DB'
TDB=gw_my_ident
new_mdb "$MDB" "$TDB" >/dev/null || abort_test "create databases"
register_mdbs "$MDB"
register_dbs "$TDB"
T2=gw_my_ident_2
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T2" || abort_test "createdb"
register_dbs "$T2"

setup_m "$MDB" - <<'SQL'
CREATE TABLE `Order Items` (
  `Id` int AUTO_INCREMENT PRIMARY KEY,
  `col"q` varchar(20) NOT NULL,
  `col``bt` int,
  `spa ce` text,
  `ñandú` enum('Sí', 'No') DEFAULT 'No',
  `user` int,
  `select` date,
  UNIQUE KEY `uq "col"` (`col"q`),
  KEY `Idx Mixed` (`user`, `select`)
);
CREATE TABLE `tab"le` (`k``ey` varchar(10) PRIMARY KEY, `Order Id` int, CONSTRAINT `fk ""x` FOREIGN KEY (`Order Id`) REFERENCES `Order Items` (`Id`));
CREATE TABLE `ünïcødé` (`ключ` int PRIMARY KEY, `値` varchar(10));
CREATE TABLE `select` (`from` int PRIMARY KEY, `where` varchar(5));
CREATE TABLE `Skip Me` (id int PRIMARY KEY);
INSERT INTO `Order Items` (`col"q`, `col``bt`, `spa ce`, `ñandú`, `user`, `select`) VALUES
  ('a"b', 1, 'x y', 'Sí', 7, '2020-01-01'), ('it''s', 2, NULL, 'No', NULL, NULL), ('`bt`', 3, 'tab	here', NULL, 1, '1999-12-31');
INSERT INTO `tab"le` VALUES ('k"1', 1), ('k`2', 2), ('k3', NULL);
INSERT INTO `ünïcødé` VALUES (1, '日本'), (2, 'ü');
INSERT INTO `select` VALUES (1, 'a'), (2, 'b'), (3, 'A');
SQL

MURL=$(m_url "$MDB")
S=$(printf '"%s"' "${MDB//\"/\"\"}")
assert_exit 0 "$GODWIT" fetch --source "$MURL" --target "$(tgt_url "$TDB")" --jobs 2 --no-stream \
    --exclude 'Skip*' --where "$S.select: \"where\" IN ('a', 'A')"
assert_eq '1|a"b|1|x y|Sí|7|2020-01-01,2|it'"'"'s|2|No,3|`bt`|3|tab	here|1|1999-12-31' \
    "$(psql_tgt "$TDB" "SELECT string_agg(concat_ws('|', \"Id\", \"col\"\"q\", \"col\`bt\", \"spa ce\", \"ñandú\", \"user\", \"select\"), ',' ORDER BY \"Id\") FROM $S.\"Order Items\"" 2>&1)" \
    "rows of Order Items"
assert_eq 'k"1|1,k3,k`2|2' "$(psql_tgt "$TDB" "SELECT string_agg(concat_ws('|', \"k\`ey\", \"Order Id\"), ',' ORDER BY \"k\`ey\" COLLATE \"C\") FROM $S.\"tab\"\"le\"" 2>&1)" "rows of tab\"le"
assert_eq '1|日本,2|ü' "$(psql_tgt "$TDB" "SELECT string_agg(concat_ws('|', \"ключ\", \"値\"), ',' ORDER BY 1) FROM $S.\"ünïcødé\"" 2>&1)" "rows of ünïcødé"
assert_eq '1|a,3|A' "$(psql_tgt "$TDB" "SELECT string_agg(concat_ws('|', \"from\", \"where\"), ',' ORDER BY 1) FROM $S.\"select\"" 2>&1)" "rows of select (--where compares text exactly, as the stream does)"
assert_eq 0 "$(psql_tgt "$TDB" "SELECT count(*) FROM pg_class WHERE relname = 'Skip Me'")" "excluded table"
assert_eq "Order Items_pkey|Order Items_uq \"col\"|fk \"\"x" \
    "$(psql_tgt "$TDB" "SELECT string_agg(conname, '|' ORDER BY conname COLLATE \"C\") FROM pg_constraint WHERE conrelid IN ('$S.\"Order Items\"'::regclass, '$S.\"tab\"\"le\"'::regclass) AND contype IN ('p','u','f') AND conname <> 'tab\"le_pkey'" 2>&1)" \
    "constraints keep their quoted names"
assert_eq 1 "$(psql_tgt "$TDB" "SELECT count(*) FROM pg_indexes WHERE indexname = 'Order Items_Idx Mixed'")" "index Idx Mixed"
assert_eq "Order Items_ñandú" "$(psql_tgt "$TDB" "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = '${MDB//\'/\'\'}' AND t.typtype = 'e'")" "enum type name"
r=$(psql_tgt "$TDB" "BEGIN; INSERT INTO $S.\"Order Items\" (\"col\"\"q\") VALUES ('new') RETURNING \"Id\", \"ñandú\"; ROLLBACK;" 2>&1)
assert_eq "4|No" "$r" "AUTO_INCREMENT continues, enum default"

# --schema existing on a copy of the target's tables, emptied: every column type must match the catalog.
pg_dump -h 127.0.0.1 -p "$TGT_PORT" -U postgres --schema-only --no-owner -n "$S" "$TDB" >"$GW_OUT/schema.sql" 2>&1 ||
    fail "pg_dump: $(head -3 "$GW_OUT/schema.sql")"
psql -X -q -h 127.0.0.1 -p "$TGT_PORT" -U postgres -d "$T2" -v ON_ERROR_STOP=1 -f "$GW_OUT/schema.sql" >/dev/null 2>&1 ||
    fail "restoring the schema into $T2"
assert_exit 0 "$GODWIT" fetch --source "$MURL" --target "$(tgt_url "$T2")" --no-stream --schema existing --exclude 'Skip*'
assert_eq 3 "$(psql_tgt "$T2" "SELECT count(*) FROM $S.\"Order Items\"" 2>&1)" "rows loaded into existing tables"

# --tables with db.table globs; one that matches nothing is refused before anything happens.
T3=gw_my_ident_3
createdb -h 127.0.0.1 -p "$TGT_PORT" -U postgres "$T3" || abort_test "createdb"
register_dbs "$T3"
assert_exit 2 "$GODWIT" fetch --source "$MURL" --target "$(tgt_url "$T3")" --no-stream --tables "$MDB.Order*,$MDB.nope*"
assert_contains "$ERR" "nope*"
assert_short_message "$ERR"
assert_no_user_tables "$T3"
assert_exit 0 "$GODWIT" fetch --source "$(m_url "")" --target "$(tgt_url "$T3")" --no-stream --tables "$MDB.ü*,$MDB.tab*,$MDB.Order*"
assert_eq 3 "$(user_tables tgt "$T3")" "tables selected by db.table globs from a URL without a database"
finish
