#!/usr/bin/env bash
# The order-create benchmark of issue 4 against a real `codd serve` on a temporary data directory: POST
# /api/orders with 3 items (JWT, validated, priced from the catalog, stock reserved, durable in the log,
# applied to the orders view before the answer) at N connections, and the /health/live ceiling at the same
# connection count in the same run; their ratio. Ends with one `summary_orders` line that also reports the
# server's resident memory and the orders it holds.
# Rate limits are off (CODD_RATE_LIMIT_*=off): the bench measures the server, not the limiter.
#
#   bench/orders_bench.sh [--build DIR] [--seconds 5] [--connections 64] [--runs 3] [--products 3] [--hold N] [--quick]
#
# --hold N: after the runs, keeps creating orders (60 s rounds) until the view holds N, then reports the
# server's resident memory holding them (issue 4: RSS of `codd serve` holding 1,000,000 orders).
#
# Extra environment for `codd serve` passes through (e.g. CODD_COMMAND_THREADS=128 CODD_LOG_LEVEL=warn).
# CODD_PRELOAD=/path/lib.so is preloaded into `codd serve` alone, not the load generator (e.g. to compare allocators).
set -euo pipefail

build="$(cd "$(dirname "$0")/.." && pwd)/build"
seconds=5
connections=64
runs=3
products=3
hold=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --products) products="$2"; shift 2 ;;
        --hold) hold="$2"; shift 2 ;;
        --quick) seconds=1; runs=1; shift ;;
        *) echo "orders_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/serve_lib.sh
source "$(dirname "$0")/serve_lib.sh"
export CODD_LOG_LEVEL="${CODD_LOG_LEVEL:-warn}"
start_codd_serve orders_bench.sh "$build"
token="$(login_token orders_bench.sh)"

# The catalog: products with stock for any number of orders.
ids=()
for i in $(seq 1 "$products"); do
    id="$(curl -fsS -X POST "http://$address/api/products" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        --data "{\"name\":\"Bench $i\",\"sku\":\"BENCH-$i\",\"price\":$((10 + i)).5,\"costPrice\":5,\"stockQuantity\":1000000000,\"category\":\"bench\"}" |
        jq -r '.product.id')"
    ids+=("$id")
done
items=""
for i in 0 1 2; do
    items+="${items:+,}{\"productId\":${ids[$((i % products))]},\"quantity\":$((i + 1))}"
done
order_body="{\"customerName\":\"Ama Mensah\",\"customerPhone\":\"+233241234567\",\"orderItems\":[$items],\"deliveryAddress\":\"12 Ring Road\",\"deliveryState\":\"Greater Accra\",\"deliveryArea\":\"Osu\"}"
probe="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "http://$address/api/orders" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data "$order_body")"
[[ "$probe" == 201 ]] || { echo "orders_bench.sh: a probe order got HTTP $probe" >&2; exit 1; }

bench() {  # name path [http_bench args...]
    local name="$1" path="$2"
    shift 2
    "$http_bench" --url "$address" --path "$path" --connections "$connections" --seconds "$seconds" --warmup 1 \
        --name "$name" "$@"
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# "name ticks" per thread of the server (user + system CPU in clock ticks), read with shell builtins only: a
# fork per thread would cost more than the interval it measures.
server_ticks() {
    local t name line rest
    for t in /proc/"$server_pid"/task/*; do
        read -r name <"$t/comm" 2>/dev/null || continue
        read -r line <"$t/stat" 2>/dev/null || continue
        rest="${line##*) }"
        read -r -a f <<<"$rest"
        echo "$name $((f[11] + f[12]))"
    done
}
# One `server_cpu` line: the server's CPU per named thread role (percent of one core) between two
# server_ticks snapshots taken `window` seconds apart (the create run with its warm-up second), and its CPU per
# request at `ops_per_s` (the warm-up runs at about the same rate).
server_cpu() {  # before after window ops_per_s
    awk -v window="$3" -v ops="$4" -v hz="$(getconf CLK_TCK)" '
        FNR == NR { t[$1] -= $2; next }
        { t[$1] += $2 }
        END {
            printf "{\"name\":\"server_cpu\",\"path\":\"/api/orders\",\"window_s\":%s", window
            for (n in t) { pct = t[n] / hz / window * 100; all += pct; printf ",\"%s_pct\":%.1f", n, pct }
            printf ",\"total_pct\":%.1f,\"cpu_us_per_request\":%.1f}\n", all, (ops > 0 ? all / 100 / ops * 1e6 : 0)
        }' <(echo "$1") <(echo "$2")
}

live_ops=() create_ops=() create_p50=() create_p99=() errors=() cpu_per_order=()
for _ in $(seq 1 "$runs"); do
    live="$(bench health_live /health/live)"
    echo "$live"
    ticks_before="$(server_ticks)"
    started=$EPOCHREALTIME
    create="$(bench create_order /api/orders --method POST --header "Authorization: Bearer $token" \
        --header 'Content-Type: application/json' --body "$order_body")"
    ticks_after="$(server_ticks)"
    window="$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    cpu="$(server_cpu "$ticks_before" "$ticks_after" "$window" "$(jq '.ops_per_s' <<<"$create")")"
    echo "$create"
    echo "$cpu"
    cpu_per_order+=("$(jq '.cpu_us_per_request' <<<"$cpu")")
    live_ops+=("$(jq '.ops_per_s' <<<"$live")")
    create_ops+=("$(jq '.ops_per_s' <<<"$create")")
    create_p50+=("$(jq '.p50_us' <<<"$create")")
    create_p99+=("$(jq '.p99_us' <<<"$create")")
    errors+=("$(jq '.errors + .non_2xx' <<<"$create")")
done

orders_held() { curl -fsS "http://$address/api/orders?limit=1" -H "Authorization: Bearer $token" | jq '.pagination.total'; }
orders="$(orders_held)"
while (( orders < hold )); do
    fill="$(bench fill_orders /api/orders --method POST --header "Authorization: Bearer $token" \
        --header 'Content-Type: application/json' --body "$order_body" --seconds 60)"
    orders="$(orders_held)"
    echo "$fill" | jq -c --argjson orders "$orders" --argjson rss_kb "$(ps -o rss= -p "$server_pid" | tr -d ' ')" \
        '{name, ops_per_s, p99_us, errors, non_2xx, orders_in_view: $orders, server_rss_mb: (($rss_kb / 1024 * 10 | round) / 10)}'
done
rss_kb="$(ps -o rss= -p "$server_pid" | tr -d ' ')"
m_live="$(printf '%s\n' "${live_ops[@]}" | median)"
m_create="$(printf '%s\n' "${create_ops[@]}" | median)"
jq -cn \
    --argjson runs "$runs" --argjson seconds "$seconds" --argjson connections "$connections" \
    --argjson live "$m_live" --argjson create "$m_create" \
    --argjson p50 "$(printf '%s\n' "${create_p50[@]}" | median)" \
    --argjson p99 "$(printf '%s\n' "${create_p99[@]}" | median)" \
    --argjson failed "$(printf '%s\n' "${errors[@]}" | awk '{s+=$1} END {print s+0}')" \
    --argjson rss_kb "$rss_kb" --argjson orders "$orders" \
    --argjson cpu "$(printf '%s\n' "${cpu_per_order[@]}" | median)" \
    '{name: "summary_orders", runs: $runs, seconds: $seconds, connections: $connections,
      health_live_ops_per_s: $live, create_order_ops_per_s: $create, create_p50_us: $p50, create_p99_us: $p99,
      ratio_create_to_live: (if $live > 0 then ($create / $live * 1000 | round) / 1000 else null end),
      target_orders_per_s: 15000, target_p99_us: 25000, failed_requests: $failed, server_cpu_us_per_order: $cpu,
      orders_in_view: $orders, server_rss_mb: (($rss_kb / 1024 * 10 | round) / 10)}'
