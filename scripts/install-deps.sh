#!/bin/sh
# Install the Debian packages Quire needs to build, test and render, when missing.
# Runs as root, or through sudo; does nothing when everything is present.
#   install-deps.sh        what make, make test and make demo need
#   install-deps.sh fuzz   and clang with its libFuzzer runtime (make fuzz)
set -eu

PKGS="build-essential pkg-config
liblua5.4-dev libyaml-dev libhpdf-dev libjansson-dev libcurl4-openssl-dev
libsqlite3-dev libssl-dev libgsl-dev libicu-dev libpq-dev postgresql libxlsxwriter-dev libmicrohttpd-dev
clickhouse-server clickhouse-client
fonts-dejavu-core fonts-wqy-zenhei fonts-nanum
poppler-utils qpdf python3 python3-openpyxl time tzdata openssl valgrind curl
chromium chromium-driver python3-selenium"
if [ "${1:-}" = fuzz ]; then
    PKGS="$PKGS clang libclang-rt-dev"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root or sudo to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
