#include "api/health.hpp"

#include <ctime>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/version.hpp"
#include "projections/runner.hpp"

namespace codd::api {
namespace {

// {writable, head, error?}: the error is why a failed log refuses appends (a full or failing disk).
boost::json::object log_status(const engine::EventLog& log) {
    boost::json::object o{{"writable", log.writable()}, {"head", log.head().value()}};
    if (auto why = log.failure(); !why.empty()) o["error"] = why;
    return o;
}

Response live(const Request&) {
    // A constant body: this route must cost nothing beyond the HTTP round trip.
    Response r;
    r.body = R"({"status":"ok"})";
    return r;
}

// {name: {position, lagEvents, lagSeconds, running, error?}}; `all_running` false when one stopped.
boost::json::object views_status(const HealthContext& c, bool& all_running) {
    boost::json::object out;
    all_running = true;
    for (const ViewRef& v : c.views) {
        const projections::Lag lag = v.runner->lag();
        boost::json::object o{{"position", v.runner->position().value()},
                              {"lagEvents", lag.events},
                              {"lagSeconds", lag.seconds},
                              {"running", v.runner->running()}};
        if (!v.runner->running()) {
            all_running = false;
            o["error"] = v.runner->error();
        }
        out[v.name] = std::move(o);
    }
    return out;
}

Response ready(const HealthContext& c) {
    bool views_running = true;
    boost::json::object views = views_status(c, views_running);
    const bool ok = c.log->writable() && views_running;
    const boost::json::object body{
        {"status", ok ? "ready" : "unavailable"}, {"log", log_status(*c.log)}, {"views", std::move(views)}};
    return Response::json(ok ? 200 : 503, body);
}

Response summary(const HealthContext& c) {
    bool views_running = true;
    boost::json::object views = views_status(c, views_running);
    const bool writable = c.log->writable() && views_running;
    const auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - c.started);
    const boost::json::object body{
        {"status", writable ? "ok" : "degraded"},
        {"timestamp", iso8601_utc(c.clock->now())},
        {"uptime", up.count()},
        {"environment", to_string(c.environment)},
        {"version", version()},
        {"log", log_status(*c.log)},
        {"views", std::move(views)},
    };
    return Response::json(writable ? 200 : 503, body);
}

}  // namespace

std::string iso8601_utc(engine::TimePoint t) {
    return iso8601_utc_us(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::string iso8601_utc_us(std::int64_t us) {
    const std::int64_t ms = us >= 0 ? us / 1000 : (us - 999) / 1000;
    const std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - secs * 1000));
}

void add_health_routes(Router& router, const HealthContext& context) {
    router.add("GET", "/health/live", live);
    router.add("GET", "/health/ready", [context](const Request&) { return ready(context); });
    router.add("GET", "/health", [context](const Request&) { return summary(context); });
}

void add_index_route(Router& router) {
    boost::json::array endpoints;
    for (const Router::RouteInfo& r : router.routes()) {
        endpoints.push_back(boost::json::string(r.method + " " + r.pattern));
    }
    endpoints.push_back("GET /");
    const boost::json::value body =
        boost::json::object{{"name", "codd"}, {"version", version()}, {"endpoints", std::move(endpoints)}};
    router.add("GET", "/", [body](const Request&) { return Response::json(200, body); });
}

}  // namespace codd::api
