#!/bin/sh
# deb.sh GODWIT VERSION OUTDIR: a Debian package of godwit, built from this tree (no debian/ source
# package): the files packaging/install.sh puts under /usr, and the libraries the binary links as its
# dependencies (dpkg-shlibdeps), so that `apt install ./godwit_VERSION_ARCH.deb` brings them.
set -eu
godwit=$1 version=$2
mkdir -p "$3"
out=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
arch=$(dpkg --print-architecture)
# Staged as dpkg-shlibdeps expects a package's files: debian/PACKAGE under a directory holding debian/control.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/debian/godwit
mkdir -p "$stage/DEBIAN"
sh "$here/install.sh" "$godwit" "$stage/usr" >/dev/null
# As Debian's own packages: the debug symbols stay in the build, not in what is installed.
strip --strip-unneeded "$stage/usr/bin/godwit"
printf 'Source: godwit\n\nPackage: godwit\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e debian/godwit/usr/bin/godwit 2>"$work/shlibdeps.log") ||
    { cat "$work/shlibdeps.log" >&2; exit 1; }
depends=$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk "$stage/usr" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: godwit
Version: $version
Architecture: $arch
Maintainer: godwit developers <godwit@localhost>
Installed-Size: $size
Depends: $depends
Recommends: postgresql-client
Section: database
Priority: optional
Homepage: https://github.com/godwit/godwit
Description: live database migration with phases and failback
 godwit moves a live PostgreSQL or MySQL/MariaDB database to PostgreSQL or
 CockroachDB with seconds of downtime: a bulk load from a consistent
 snapshot, every later change streamed from exactly its position,
 verification, cutover, and failback to the old source, phase by phase.
CONTROL
dpkg-deb --root-owner-group --build "$stage" "$out/godwit_${version}_$arch.deb" >/dev/null
echo "$out/godwit_${version}_$arch.deb"
