#!/usr/bin/env bash
# The benchmark of issue 3 against a real `codd serve` on a temporary data directory:
#   1. the plaintext ceiling, GET /health/live, and authenticated GET /api/auth/me, both at 64 connections in
#      the same run; their ratio (target: at least 0.6);
#   2. login latency (POST /api/auth/login at a few connections; slow on purpose: argon2id), and /health/live
#      p99 measured while those logins run, against /health/live p99 alone at the same connection count:
#      logins must not stall other requests.
# Prints http_bench's JSON lines and ends with one `summary_auth` line. Rate limits are switched off
# (CODD_RATE_LIMIT_*=off): the bench measures the server, not the limiter refusing it.
#
#   bench/auth_bench.sh [--build DIR] [--seconds 5] [--connections 64] [--login-connections 4]
#                       [--live-connections 8] [--runs 1] [--quick]
#
# Extra environment for `codd serve` passes through (e.g. CODD_HTTP_THREADS=2 CODD_LOG_LEVEL=warn).
set -euo pipefail

build="$(cd "$(dirname "$0")/.." && pwd)/build"
seconds=5
connections=64
login_connections=4
live_connections=8
runs=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --login-connections) login_connections="$2"; shift 2 ;;
        --live-connections) live_connections="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --quick) seconds=1; runs=1; shift ;;
        *) echo "auth_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/serve_lib.sh
source "$(dirname "$0")/serve_lib.sh"
start_codd_serve auth_bench.sh "$build"

login_body="{\"email\":\"$email\",\"password\":\"$password\"}"
token="$(login_token auth_bench.sh)"

bench() {  # name path connections [http_bench args...]
    local name="$1" path="$2" conns="$3"
    shift 3
    "$http_bench" --url "$address" --path "$path" --connections "$conns" --seconds "$seconds" --warmup 1 \
        --name "$name" "$@"
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

live_ops=() me_ops=() login_p50=() login_p99=() login_ops=() live_p99_alone=() live_p99_during=()
for _ in $(seq 1 "$runs"); do
    # 1. throughput: the ceiling and the authenticated read, back to back.
    live="$(bench health_live /health/live "$connections")"
    echo "$live"
    me="$(bench auth_me /api/auth/me "$connections" --header "Authorization: Bearer $token")"
    echo "$me"
    live_ops+=("$(jq '.ops_per_s' <<<"$live")")
    me_ops+=("$(jq '.ops_per_s' <<<"$me")")

    # 2. /health/live alone at a light load, then the same load while logins run.
    alone="$(bench health_live_alone /health/live "$live_connections")"
    echo "$alone"
    live_p99_alone+=("$(jq '.p99_us' <<<"$alone")")
    bench login /api/auth/login "$login_connections" --method POST \
        --header 'Content-Type: application/json' --body "$login_body" >"$work/login.json" &
    login_pid=$!
    during="$(bench health_live_during_logins /health/live "$live_connections")"
    wait "$login_pid"
    login="$(cat "$work/login.json")"
    echo "$login"
    echo "$during"
    login_p50+=("$(jq '.p50_us' <<<"$login")")
    login_p99+=("$(jq '.p99_us' <<<"$login")")
    login_ops+=("$(jq '.ops_per_s' <<<"$login")")
    live_p99_during+=("$(jq '.p99_us' <<<"$during")")
done

m_live="$(printf '%s\n' "${live_ops[@]}" | median)"
m_me="$(printf '%s\n' "${me_ops[@]}" | median)"
jq -cn \
    --argjson runs "$runs" --argjson seconds "$seconds" --argjson connections "$connections" \
    --argjson login_connections "$login_connections" --argjson live_connections "$live_connections" \
    --argjson live "$m_live" --argjson me "$m_me" \
    --argjson login_p50 "$(printf '%s\n' "${login_p50[@]}" | median)" \
    --argjson login_p99 "$(printf '%s\n' "${login_p99[@]}" | median)" \
    --argjson login_ops "$(printf '%s\n' "${login_ops[@]}" | median)" \
    --argjson alone "$(printf '%s\n' "${live_p99_alone[@]}" | median)" \
    --argjson during "$(printf '%s\n' "${live_p99_during[@]}" | median)" \
    '{name: "summary_auth", runs: $runs, seconds: $seconds, connections: $connections,
      health_live_ops_per_s: $live, auth_me_ops_per_s: $me,
      ratio_me_to_live: (if $live > 0 then ($me / $live * 1000 | round) / 1000 else null end), target_ratio: 0.6,
      login_connections: $login_connections, login_ops_per_s: $login_ops,
      login_p50_us: $login_p50, login_p99_us: $login_p99,
      live_connections: $live_connections, health_live_p99_us_alone: $alone,
      health_live_p99_us_during_logins: $during}'
