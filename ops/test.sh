#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test tier
# (unit, functional, crash, bench smoke) in the release build, then the unit, functional and crash
# tiers again under AddressSanitizer + UndefinedBehaviorSanitizer.
# CODD_TEST_SANITIZE=0 skips the sanitizer pass (faster local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh

bash ops/build.sh release
ctest --test-dir build --output-on-failure --timeout 900 -j 2

if [ "${CODD_TEST_SANITIZE:-1}" != "0" ]; then
    bash ops/build.sh asan
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure --timeout 1800 -j 2 -LE bench
fi
