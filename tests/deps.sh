#!/bin/sh
# Installs, when missing, the Debian packages godwit needs to build, test, demo and benchmark.
# Idempotent; must run as root on Debian 12.  clang and libclang-rt-14-dev (its libFuzzer and
# sanitizer runtimes) are for `make CC=clang` and `make fuzz`.
set -e
PKGS="build-essential clang libclang-rt-14-dev pkg-config libpq-dev libjansson-dev libmicrohttpd-dev libgnutls28-dev \
libmariadb-dev zlib1g-dev libcmocka-dev help2man man-db bash-completion zsh prometheus python3-kubernetes python3-yaml podman runc mmdebstrap uidmap postgresql-15 postgresql-client-15 pgcopydb mariadb-server mariadb-client sysbench pgloader time procps iproute2 bc curl openssl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# kubectl (its kustomize renders deploy/kubernetes): Debian's, when the machine has none of its own.
command -v kubectl >/dev/null || missing="$missing kubernetes-client"
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
    exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
