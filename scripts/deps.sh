#!/bin/sh
# Installs the Debian packages finsent needs to build, test and run, or,
# given package names, those (how `make bench-ort` gets its peer's tools).
# Idempotent: checks each package first and installs only what is missing,
# saying what it installs. Uses sudo when not root.
set -eu

PKGS="build-essential pkg-config librdkafka-dev libopenblas-dev libutf8proc-dev \
libcjson-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev libcmocka-dev \
kcat curl jq chromium fonts-noto-cjk clang libclang-rt-14-dev prometheus systemd"
[ $# -gt 0 ] && PKGS="$*"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install:$missing" >&2; exit 1; }
    SUDO="sudo"
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
