#include <doctest/doctest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "api/edge_metrics.hpp"
#include "api/edge_rate_limiter.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("exposition format: counters by route, method and status, cumulative histogram buckets") {
    HttpMetrics m;
    m.bind_routes({"/health/live", "/api/v1/orders/:id", "/api/v1/orders/:id"});
    const std::size_t live = m.route_index("/health/live");
    const std::size_t order = m.route_index("/api/v1/orders/:id");
    CHECK(m.route_index("/nope") == m.route_index(""));
    m.record(live, HttpMetrics::method_index("GET"), 200, 50us);
    m.record(live, HttpMetrics::method_index("GET"), 200, 3ms);
    m.record(order, HttpMetrics::method_index("PATCH"), 409, 30s);
    m.record(m.route_index("/nope"), HttpMetrics::method_index("BREW"), 404, 1us);
    std::string text;
    m.render(text);
    CHECK(has_line(text, "# TYPE codd_http_requests_total counter"));
    CHECK(has_line(text, "codd_http_requests_total{route=\"/health/live\",method=\"GET\",status=\"200\"} 2"));
    CHECK(has_line(text, "codd_http_requests_total{route=\"/api/v1/orders/:id\",method=\"PATCH\",status=\"409\"} 1"));
    CHECK(has_line(text, "codd_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1"));
    CHECK(has_line(text, "# TYPE codd_http_request_duration_seconds histogram"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/health/live\",le=\"0.0001\"} 1"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/health/live\",le=\"0.0025\"} 1"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/health/live\",le=\"0.005\"} 2"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/health/live\",le=\"+Inf\"} 2"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_count{route=\"/health/live\"} 2"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_sum{route=\"/health/live\"} 0.00305"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/api/v1/orders/:id\",le=\"2.5\"} 0"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_bucket{route=\"/api/v1/orders/:id\",le=\"+Inf\"} 1"));
    // Every non-comment line is `name{labels} value`.
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l.starts_with('#')) continue;
        INFO(l);
        CHECK(l.starts_with("codd_"));
        CHECK(l.find("} ") != std::string::npos);
    }
}

TEST_CASE("the rate limiter's series") {
    HttpMetrics m;
    RateLimiter limiter({RateLimit{1, 60s}, {}, {}, {}});
    (void)limiter.check(RateTier::auth, "k");
    (void)limiter.check(RateTier::auth, "k");
    const std::string text = render_metrics(m, nullptr, &limiter);
    CHECK(has_line(text, "codd_rate_limited_total{tier=\"auth\"} 1"));
    CHECK(has_line(text, "codd_rate_limited_total{tier=\"writes\"} 0"));
    CHECK(has_line(text, "codd_rate_limiter_keys{tier=\"auth\"} 1"));
}

TEST_CASE("concurrent recording loses nothing") {
    HttpMetrics m;
    m.bind_routes({"/a"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&m, t] {
            for (int i = 0; i < 10'000; ++i) m.record(0, HttpMetrics::method_index(t % 2 ? "GET" : "POST"), 200, 1us);
        });
    }
    for (auto& t : threads) t.join();
    std::string text;
    m.render(text);
    CHECK(has_line(text, "codd_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 20000"));
    CHECK(has_line(text, "codd_http_requests_total{route=\"/a\",method=\"POST\",status=\"200\"} 20000"));
    CHECK(has_line(text, "codd_http_request_duration_seconds_count{route=\"/a\"} 40000"));
}

TEST_CASE("the cost of recording (reported, not asserted)") {
    HttpMetrics m;
    m.bind_routes({"/health/live", "/api/v1/orders/:id"});
    constexpr int kOps = 2'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kOps; ++i) {
        m.record(m.route_index("/api/v1/orders/:id"), HttpMetrics::method_index("GET"), 200,
                 std::chrono::nanoseconds(i % 100'000));
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kOps;
    MESSAGE("route lookup + record: " << ns << " ns per request (one thread)");
    CHECK(ns < 10'000);
}
