#include "api/edge_metrics.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api/edge_rate_limiter.hpp"
#include "engine/event_log.hpp"
#include "projections/runner.hpp"

namespace codd::api {
namespace {

constexpr int kMinStatus = 100;
constexpr int kStatusSlots = 500;  // 100..599
constexpr std::array<std::string_view, HttpMetrics::kMethods> kMethodNames = {"GET",   "HEAD",   "POST",    "PUT",
                                                                             "PATCH", "DELETE", "OPTIONS", "OTHER"};

// Label values are route patterns and fixed words, but escape anyway: a broken page loses every series.
void append_label_value(std::string& out, std::string_view v) {
    for (const char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out.append("\\n");
        } else {
            out.push_back(c);
        }
    }
}

std::int64_t bucket_bound_ns(double seconds) {
    return static_cast<std::int64_t>(seconds * 1e9 + 0.5);
}

}  // namespace

struct HttpMetrics::StatusCounters {
    std::array<std::atomic<std::uint64_t>, kStatusSlots> count{};
};

struct alignas(64) HttpMetrics::RouteSeries {
    std::array<std::atomic<StatusCounters*>, kMethods> by_method{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};  // not cumulative; last is +Inf
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};

    ~RouteSeries() {
        for (auto& p : by_method) delete p.load();
    }

    StatusCounters& status_counters(std::size_t method) {
        StatusCounters* p = by_method[method].load(std::memory_order_acquire);
        if (p != nullptr) return *p;
        auto fresh = std::make_unique<StatusCounters>();
        if (by_method[method].compare_exchange_strong(p, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
        return *p;  // another thread won the race; ours is freed
    }
};

HttpMetrics::HttpMetrics() {
    bind_routes({});
}

HttpMetrics::~HttpMetrics() = default;

void HttpMetrics::bind_routes(const std::vector<std::string>& patterns) {
    names_.clear();
    index_.clear();
    for (const std::string& p : patterns) {
        if (p == kUnmatchedRoute || std::find(names_.begin(), names_.end(), p) != names_.end()) continue;
        names_.push_back(p);
    }
    names_.emplace_back(kUnmatchedRoute);
    for (std::size_t i = 0; i + 1 < names_.size(); ++i) index_.emplace(names_[i], i);
    series_ = std::make_unique<RouteSeries[]>(names_.size());
}

std::size_t HttpMetrics::route_index(std::string_view pattern) const {
    const auto it = index_.find(pattern);
    return it == index_.end() ? names_.size() - 1 : it->second;
}

std::size_t HttpMetrics::method_index(std::string_view method) {
    for (std::size_t i = 0; i + 1 < kMethodNames.size(); ++i) {
        if (kMethodNames[i] == method) return i;
    }
    return kMethods - 1;
}

void HttpMetrics::record(std::size_t route, std::size_t method, int status, std::chrono::nanoseconds duration) {
    RouteSeries& s = series_[std::min(route, names_.size() - 1)];
    const int slot = std::clamp(status, kMinStatus, kMinStatus + kStatusSlots - 1) - kMinStatus;
    s.status_counters(std::min(method, kMethods - 1)).count[slot].fetch_add(1, std::memory_order_relaxed);
    const std::int64_t ns = std::max<std::int64_t>(0, duration.count());
    std::size_t b = 0;
    while (b < kBuckets.size() && ns > bucket_bound_ns(kBuckets[b])) ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    s.sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
}

void HttpMetrics::render(std::string& out) const {
    out.append("# HELP codd_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
    out.append("# TYPE codd_http_requests_total counter\n");
    for (std::size_t r = 0; r < names_.size(); ++r) {
        for (std::size_t m = 0; m < kMethods; ++m) {
            const StatusCounters* c = series_[r].by_method[m].load(std::memory_order_acquire);
            if (c == nullptr) continue;
            for (int i = 0; i < kStatusSlots; ++i) {
                const std::uint64_t n = c->count[i].load(std::memory_order_relaxed);
                if (n == 0) continue;
                out.append("codd_http_requests_total{route=\"");
                append_label_value(out, names_[r]);
                out.append(fmt::format("\",method=\"{}\",status=\"{}\"}} {}\n", kMethodNames[m], kMinStatus + i, n));
            }
        }
    }
    out.append("# HELP codd_http_request_duration_seconds Time from a complete request to its response, by route.\n");
    out.append("# TYPE codd_http_request_duration_seconds histogram\n");
    for (std::size_t r = 0; r < names_.size(); ++r) {
        const RouteSeries& s = series_[r];
        if (s.count.load(std::memory_order_relaxed) == 0) continue;
        std::string label = "route=\"";
        append_label_value(label, names_[r]);
        label.push_back('"');
        // Count and buckets are read separately; deriving the total from the buckets keeps +Inf == count.
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
            cumulative += s.buckets[b].load(std::memory_order_relaxed);
            const std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
            out.append(fmt::format("codd_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", label, le,
                                   cumulative));
        }
        const double sum = static_cast<double>(s.sum_ns.load(std::memory_order_relaxed)) / 1e9;
        out.append(fmt::format("codd_http_request_duration_seconds_sum{{{}}} {}\n", label, sum));
        out.append(fmt::format("codd_http_request_duration_seconds_count{{{}}} {}\n", label, cumulative));
    }
}

std::string render_metrics(const HttpMetrics& http, const engine::EventLog* log, const RateLimiter* limiter,
                           const std::vector<ViewRef>& views) {
    std::string out;
    out.reserve(8192);
    http.render(out);
    if (log != nullptr) {
        const engine::LogStats st = log->stats();
        const auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t v) {
            out.append(fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v));
        };
        counter("codd_event_log_batches_total", "Write batches committed (group commits).", st.batches);
        counter("codd_event_log_commands_total", "Append commands decided.", st.commands);
        counter("codd_event_log_events_total", "Events written.", st.events);
        counter("codd_event_log_syncs_total", "WAL fsyncs; each made one or more batches durable.", st.syncs);
        out.append(fmt::format("# HELP codd_event_log_head_position Global position of the last event.\n"
                               "# TYPE codd_event_log_head_position gauge\ncodd_event_log_head_position {}\n",
                               log->head().value()));
        out.append(fmt::format("# HELP codd_event_log_writable 1 while the event log accepts appends, 0 once a "
                               "write or fsync failed (see /health/ready).\n"
                               "# TYPE codd_event_log_writable gauge\ncodd_event_log_writable {}\n",
                               log->writable() ? 1 : 0));
    }
    if (limiter != nullptr) {
        out.append("# HELP codd_rate_limited_total Requests refused by a rate limit, by tier.\n");
        out.append("# TYPE codd_rate_limited_total counter\n");
        for (std::size_t t = 0; t < kRateTierCount; ++t) {
            const auto tier = static_cast<RateTier>(t);
            out.append(fmt::format("codd_rate_limited_total{{tier=\"{}\"}} {}\n", to_string(tier), limiter->refused(tier)));
        }
        out.append("# HELP codd_rate_limiter_keys Clients currently tracked by a rate limit, by tier.\n");
        out.append("# TYPE codd_rate_limiter_keys gauge\n");
        for (std::size_t t = 0; t < kRateTierCount; ++t) {
            const auto tier = static_cast<RateTier>(t);
            out.append(fmt::format("codd_rate_limiter_keys{{tier=\"{}\"}} {}\n", to_string(tier), limiter->tracked_keys(tier)));
        }
    }
    if (!views.empty()) {
        std::string position, lag_events, lag_seconds, up;
        for (const ViewRef& v : views) {
            const projections::Lag lag = v.runner->lag();
            position += fmt::format("codd_view_position{{view=\"{}\"}} {}\n", v.name, v.runner->position().value());
            lag_events += fmt::format("codd_view_lag_events{{view=\"{}\"}} {}\n", v.name, lag.events);
            lag_seconds += fmt::format("codd_view_lag_seconds{{view=\"{}\"}} {:.6f}\n", v.name, lag.seconds);
            up += fmt::format("codd_view_up{{view=\"{}\"}} {}\n", v.name, v.runner->running() ? 1 : 0);
        }
        out.append("# HELP codd_view_position Last log position the view applied.\n# TYPE codd_view_position gauge\n");
        out.append(position);
        out.append("# HELP codd_view_lag_events Log events the view has not applied yet.\n"
                   "# TYPE codd_view_lag_events gauge\n");
        out.append(lag_events);
        out.append("# HELP codd_view_lag_seconds Age of the oldest event the view has not applied (0 when caught up).\n"
                   "# TYPE codd_view_lag_seconds gauge\n");
        out.append(lag_seconds);
        out.append("# HELP codd_view_up 1 while the view applies events, 0 when it stopped on an error.\n"
                   "# TYPE codd_view_up gauge\n");
        out.append(up);
    }
    return out;
}

void add_metrics_route(Router& router, std::shared_ptr<const HttpMetrics> http, const engine::EventLog* log,
                       std::shared_ptr<const RateLimiter> limiter, std::vector<ViewRef> views) {
    router.add("GET", "/metrics", [http = std::move(http), log, limiter = std::move(limiter),
                                   views = std::move(views)](const Request&) {
        Response r;
        r.content_type = std::string(kMetricsContentType);
        r.body = render_metrics(*http, log, limiter.get(), views);
        return r;
    });
}

}  // namespace codd::api
