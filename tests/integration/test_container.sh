#!/usr/bin/env bash
# godwit's container image (Containerfile): built with podman on a Debian 12 base made from Debian's
# packages (mmdebstrap, no registry needed; the base is kept in /var/cache between runs), from the
# package `make deb` builds; it runs as a non-root user with godwit as its entrypoint; and from inside
# it, on the host's network, a real fetch and then a replicate move a table between the test servers
# (rows equal by independent SQL).  The image holds the plain build: under the sanitizers this test
# says so and leaves it to the plain run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ldd "$GODWIT" 2>/dev/null | grep -q libasan; then
    note "a sanitizer build: the image is built and run by the plain run of this test"
    finish
fi
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || abort_test "$tool missing (make deps)"
done
# This sandbox's podman runs containers with runc only, without default ulimits.
printf '[containers]\ndefault_ulimits = []\n' >"$GW_OUT/containers.conf"
export CONTAINERS_CONF=$GW_OUT/containers.conf
pod() { podman --runtime runc "$@"; }
BASE=localhost/godwit-base:bookworm
CACHE=/var/cache/godwit-test/rootfs-bookworm.tar
if ! pod image exists "$BASE"; then
    if [ ! -s "$CACHE" ]; then
        mkdir -p "$(dirname "$CACHE")"
        mmdebstrap --variant=minbase \
            --include=libpq5,libmariadb3,libjansson4,libmicrohttpd12,libgnutls30,zlib1g,ca-certificates,postgresql-client \
            bookworm "${CACHE%.tar}.partial.tar" >"$GW_OUT/mmdebstrap.log" 2>&1 ||
            abort_test "mmdebstrap: $(tail -3 "$GW_OUT/mmdebstrap.log")"
        # Named .tar for mmdebstrap to write a tarball; renamed whole, so a run killed half-way leaves none.
        mv "${CACHE%.tar}.partial.tar" "$CACHE"
    fi
    pod import "$CACHE" "$BASE" >"$GW_OUT/import.log" 2>&1 || abort_test "podman import: $(tail -3 "$GW_OUT/import.log")"
fi
CTX=$GW_OUT/context
mkdir -p "$CTX"
make -s -C "$GW_ROOT" deb GODWIT_BIN="$GODWIT" DEB_DIR="$CTX" >"$GW_OUT/deb.log" 2>&1 || abort_test "make deb: $(_gw_first_lines "$GW_OUT/deb.log")"
IMAGE=localhost/godwit-test:$$
pod build --build-arg BASE="$BASE" -t "$IMAGE" -f "$GW_ROOT/Containerfile" "$CTX" >"$GW_OUT/build.log" 2>&1 ||
    abort_test "podman build: $(tail -5 "$GW_OUT/build.log")"
trap 'podman --runtime runc rmi -f "$IMAGE" >/dev/null 2>&1; _gw_test_cleanup' EXIT
assert_eq "10001:10001" "$(pod image inspect --format '{{.Config.User}}' "$IMAGE")" "the image's user"
assert_eq "[godwit]" "$(pod image inspect --format '{{.Config.Entrypoint}}' "$IMAGE")" "the image's entrypoint"
assert_eq "$("$GODWIT" --version)" "$(pod run --rm "$IMAGE" --version)" "godwit's version in the image"

DB=$(new_dbs gw_container) || abort_test "createdb"
register_dbs "$DB"
setup_src "$DB" "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10, 2));
                 INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 2000) g"
in_image() {   # ARGS...: godwit ARGS in the image, on the host's network, URLs from the environment
    GW_CMDNO=$((GW_CMDNO + 1))
    OUT=$GW_OUT/cmd$GW_CMDNO.out ERR=$GW_OUT/cmd$GW_CMDNO.err
    pod run --rm --network host -e GODWIT_SOURCE_URL="$(src_url "$DB")" -e GODWIT_TARGET_URL="$(tgt_url "$DB")" \
        "$IMAGE" "$@" >"$OUT" 2>"$ERR"
}
in_image fetch --phase ctr || fail "fetch in the image: $(_gw_first_lines "$ERR")"
assert_tables_equal "$DB" "$DB" public.items id
setup_src "$DB" "UPDATE items SET price = price + 1 WHERE id % 7 = 0; DELETE FROM items WHERE id > 1990;
                 INSERT INTO items VALUES (5000, 'new', 9.99)"
in_image replicate --phase ctr --stop-when-caught-up || fail "replicate in the image: $(_gw_first_lines "$ERR")"
assert_contains "$ERR" "stopped cleanly"
assert_tables_equal "$DB" "$DB" public.items id
finish
