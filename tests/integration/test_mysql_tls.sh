#!/usr/bin/env bash
# TLS to MariaDB through URL options in the client's terms (issue 20): a server with TLS on and a user
# that must use it (REQUIRE SSL).  fetch and replicate (the binlog reader too) connect with
# ?ssl-mode=REQUIRED, and with VERIFY_IDENTITY against the CA that signed the server's certificate;
# without TLS the server refuses the user, and against another CA the certificate check fails: both
# exit 3 naming the source, the password never shown.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A CA and a server certificate for 127.0.0.1, and another CA that signed nothing of this server.
PKI="$GW_OUT/pki"
mkdir -p "$PKI"
make_ca() {    # NAME
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=godwit test $1" \
        -keyout "$PKI/$1.key" -out "$PKI/$1.pem" >"$PKI/$1.log" 2>&1
}
make_ca ca || abort_test "openssl: the CA"
make_ca other_ca || abort_test "openssl: the other CA"
printf 'subjectAltName = IP:127.0.0.1\n' >"$PKI/san.ext"
{ openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$PKI/server.key" -out "$PKI/server.csr" &&
  openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
      -extfile "$PKI/san.ext" -out "$PKI/server.pem"; } >"$PKI/server.log" 2>&1 || abort_test "openssl: the server's certificate"
chmod 644 "$PKI"/*

mariadb_server_start mtls --ssl-ca="$PKI/ca.pem" --ssl-cert="$PKI/server.pem" --ssl-key="$PKI/server.key" ||
    abort_test "could not start MariaDB with TLS"
DB=$(new_dbs gw_mytls) || abort_test "createdb"
register_dbs "$DB"
mariadb_sql mtls -e "CREATE DATABASE tlsdb; USE tlsdb; CREATE TABLE tlsdb.t (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO tlsdb.t SELECT seq, CONCAT('v', seq) FROM seq_1_to_500;
    CREATE USER 'tlsuser'@'127.0.0.1' IDENTIFIED BY 'tls-secret' REQUIRE SSL;
    GRANT ALL ON *.* TO 'tlsuser'@'127.0.0.1'" || abort_test "MariaDB setup"
BASE="mysql://tlsuser:tls-secret@127.0.0.1:$MTLS_PORT/tlsdb"

# Without TLS the server refuses the user; against another CA the check of its certificate fails.
assert_exit 3 "$GODWIT" fetch --source "$BASE?ssl-mode=disabled" --target "$(tgt_url "$DB")" --phase p --no-stream
assert_contains "$ERR" "Access denied"
assert_not_contains "$ERR" "tls-secret"
assert_exit 3 "$GODWIT" fetch --source "$BASE?ssl-mode=VERIFY_CA&ssl-ca=$PKI/other_ca.pem" \
    --target "$(tgt_url "$DB")" --phase p --no-stream
assert_contains "$ERR" "cannot connect"
assert_not_contains "$ERR" "tls-secret"
assert_exit 2 "$GODWIT" fetch --source "$BASE?ssl-mode=sometimes" --target "$(tgt_url "$DB")" --phase p
assert_contains "$ERR" "ssl-mode must be"

# Encrypted, the certificate checked against its CA: fetch, then replicate through the binlog reader.
SRC="$BASE?ssl-mode=VERIFY_IDENTITY&ssl-ca=$PKI/ca.pem"
assert_exit 0 "$GODWIT" fetch --source "$SRC" --target "$(tgt_url "$DB")" --phase p || abort_test "fetch"
assert_eq 500 "$(psql_tgt "$DB" "SELECT count(*) FROM tlsdb.t")" "rows fetched over TLS"
mariadb_sql mtls -e "UPDATE tlsdb.t SET v = 'changed' WHERE id <= 10; DELETE FROM tlsdb.t WHERE id > 490" ||
    abort_test "changes"
assert_exit 0 "$GODWIT" replicate --source "$SRC" --target "$(tgt_url "$DB")" --phase p --stop-when-caught-up
assert_eq "490 10" "$(psql_tgt "$DB" "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = 'changed') FROM tlsdb.t")" \
    "rows after replicate over TLS"
# ssl-mode=REQUIRED: encrypted without checking the certificate.
assert_exit 0 "$GODWIT" verify --source "$BASE?ssl_mode=required" --target "$(tgt_url "$DB")" --phase p
finish
