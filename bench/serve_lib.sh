# Sourced by the bench scripts that measure a real `codd serve` (auth_bench.sh, orders_bench.sh).
#
#   start_codd_serve NAME BUILD   checks the binaries, starts `codd serve` on a temporary data directory with
#                                 a first admin ($email / $password) and every rate limit off (the bench
#                                 measures the server, not the limiter), waits for /health/live, and stops it
#                                 and removes the directory on exit. Sets: codd, http_bench, work, server_pid,
#                                 address. Extra CODD_* variables of the caller pass through.
#   login_token NAME              logs the admin in and prints the access token.

email="bench-admin@example.com"
password="Bench#Passw0rd!"

start_codd_serve() {
    local name="$1" build
    build="$(cd "$2" && pwd)"
    codd="$build/tools/codd"
    http_bench="$build/bench/http_bench"
    for bin in "$codd" "$http_bench"; do
        [[ -x "$bin" ]] || { echo "$name: $bin not built (ninja -C $build codd http_bench)" >&2; exit 2; }
    done
    work="$(mktemp -d -t "codd-$name.XXXXXX")"
    server_pid=""
    trap stop_codd_serve EXIT

    # A free port picked here rather than port 0 and the log: the caller may set CODD_LOG_LEVEL=warn.
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    (
        cd "$work"  # no stray .env from the caller's directory
        export CODD_DATA_DIR="$work/data" CODD_LISTEN="127.0.0.1:$port" CODD_ENV=development
        export CODD_ADMIN_EMAIL="$email" CODD_ADMIN_PASSWORD="$password"
        export CODD_RATE_LIMIT_AUTH=off CODD_RATE_LIMIT_WRITES=off CODD_RATE_LIMIT_PUBLIC=off CODD_RATE_LIMIT_WEBHOOKS=off
        LD_PRELOAD="${CODD_PRELOAD:-}" exec "$codd" serve >"$work/serve.log" 2>&1
    ) &
    server_pid=$!

    address="127.0.0.1:$port"
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "http://$address/health/live" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$name: codd serve did not start" >&2
    cat "$work/serve.log" >&2
    exit 1
}

stop_codd_serve() {
    if [[ -n "${server_pid:-}" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [[ -n "${work:-}" ]] && rm -rf "$work"
}

login_token() {
    local token
    token="$(curl -fsS -X POST "http://$address/api/auth/login" -H 'Content-Type: application/json' \
        --data "{\"email\":\"$email\",\"password\":\"$password\"}" | jq -r '.tokens.accessToken')"
    [[ -n "$token" && "$token" != null ]] || { echo "$1: login failed" >&2; exit 1; }
    echo "$token"
}
