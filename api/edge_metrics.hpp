#pragma once
// Request metrics for /metrics (Prometheus text format 0.0.4): requests by route, method and status, and a
// latency histogram by route. The route label is the matched pattern (`/api/v1/orders/:id`), never the raw
// path, so the number of series is bounded by the route table; anything unrouted is "unmatched".
//
// Recording sits on every request's path, so it takes no lock: relaxed atomic increments on counters laid
// out per route (cache-line aligned), with the per-status counters of a (route, method) allocated on first
// use. Rendering reads the counters without stopping writers; each value is exact, a scrape is not a
// snapshot across values (Prometheus tolerates that).

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/router.hpp"
#include "api/view_ref.hpp"

namespace codd::engine {
class EventLog;
}

namespace codd::api {

class RateLimiter;

inline constexpr std::string_view kUnmatchedRoute = "unmatched";

class HttpMetrics {
  public:
    // Upper bounds of the latency buckets, in seconds (plus +Inf).
    static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                        0.01,   0.025,   0.05,   0.1,   0.5,    2.5};
    static constexpr std::size_t kMethods = 8;  // GET HEAD POST PUT PATCH DELETE OPTIONS and "OTHER"

    HttpMetrics();
    ~HttpMetrics();
    HttpMetrics(const HttpMetrics&) = delete;
    HttpMetrics& operator=(const HttpMetrics&) = delete;

    // Fixes the route label set: the router's patterns. Call once, before the first record(); the
    // Dispatcher does it when it is built.
    void bind_routes(const std::vector<std::string>& patterns);

    // The index of a pattern for record(); the unmatched index for an unknown one or an empty view.
    [[nodiscard]] std::size_t route_index(std::string_view pattern) const;
    [[nodiscard]] static std::size_t method_index(std::string_view method);

    void record(std::size_t route, std::size_t method, int status, std::chrono::nanoseconds duration);

    // Appends the HTTP series in exposition format.
    void render(std::string& out) const;

  private:
    struct StatusCounters;
    struct alignas(64) RouteSeries;

    std::vector<std::string> names_;  // index → label; the last is "unmatched"
    std::unordered_map<std::string_view, std::size_t> index_;
    std::unique_ptr<RouteSeries[]> series_;
};

// The whole /metrics page: the HTTP series, the event log's counters and head position, the rate
// limiter's refusals, and each view's position and lag (DESIGN §5: as events and as seconds). `log` and `limiter` may be null.
[[nodiscard]] std::string render_metrics(const HttpMetrics& http, const engine::EventLog* log,
                                         const RateLimiter* limiter, const std::vector<ViewRef>& views = {});

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// `GET /metrics`. The pointees must outlive the router's use (the server stops first).
void add_metrics_route(Router& router, std::shared_ptr<const HttpMetrics> http, const engine::EventLog* log,
                       std::shared_ptr<const RateLimiter> limiter, std::vector<ViewRef> views = {});

}  // namespace codd::api
