#!/usr/bin/env bash
# Installs every Debian 12 package codd needs to build, run and test. Idempotent: packages
# already present are left alone, and apt is only consulted when something is missing.
set -euo pipefail

PACKAGES=(
    build-essential cmake ninja-build ccache pkg-config git ca-certificates curl openssl python3
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
    librocksdb-dev librdkafka-dev libsqlite3-dev sqlite3
    libsimdjson-dev libfmt-dev libspdlog-dev doctest-dev libcli11-dev
    libssl-dev libsodium-dev libcurl4-openssl-dev libjemalloc-dev jq
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ops/install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
