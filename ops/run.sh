#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs `codd serve` on the embedded
# default (RocksDB log and SQLite views under ./data, no other server). Configuration: see README.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
bash ops/build.sh release codd
exec build/tools/codd serve "$@"
