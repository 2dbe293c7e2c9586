#pragma once
// Ops endpoints: /health/live (process is up; the cheapest route, the benchmark ceiling), /health/ready
// (the event log accepts writes and every view is applying events), /health (a summary for humans and
// dashboards, with each view's position and lag) and the API index `/`.

#include <chrono>
#include <memory>
#include <vector>

#include "api/config.hpp"
#include "api/router.hpp"
#include "api/view_ref.hpp"
#include "engine/clock.hpp"
#include "engine/event_log.hpp"

namespace codd::api {

struct HealthContext {
    const engine::EventLog* log = nullptr;  // must outlive the router's use (the server stops first)
    std::shared_ptr<engine::Clock> clock;
    Environment environment = Environment::development;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::vector<ViewRef> views;
};

void add_health_routes(Router& router, const HealthContext& context);

// `GET /` listing the routes registered so far (call it last).
void add_index_route(Router& router);

// ISO 8601 UTC with milliseconds, e.g. "2025-06-15T14:13:20.000Z".
[[nodiscard]] std::string iso8601_utc(engine::TimePoint t);
// The same of a time in microseconds since the epoch: every year the API accepts (to 9999), where a
// system_clock time point (nanoseconds) ends in 2262.
[[nodiscard]] std::string iso8601_utc_us(std::int64_t us);

}  // namespace codd::api
