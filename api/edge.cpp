#include "api/edge.hpp"

#include <fmt/format.h>

#include "api/edge_paths.hpp"
#include "api/logging.hpp"
#include "api/problem.hpp"

namespace codd::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool takes_body(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH";
}

Response too_many_requests(RateTier tier, std::chrono::seconds retry_after) {
    Response r = problem_response(
        {ProblemType::too_many_requests,
         fmt::format("Rate limit of the {} tier exceeded; retry in {} s.", to_string(tier), retry_after.count()),
         tier == RateTier::auth ? "Too many attempts. Please wait before trying again."
                                : "Too many requests. Please slow down and try again shortly.",
         {}});
    r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
    return r;
}

}  // namespace

std::optional<RateTier> rate_tier(std::string_view method, std::string_view path) {
    auto rel = api_relative(path);
    if (!rel) return std::nullopt;
    std::string_view r = *rel;
    if (r.size() > 1 && r.back() == '/') r.remove_suffix(1);  // the router ignores one trailing slash too
    if (in_section(r, "/public")) return RateTier::public_api;
    if (in_section(r, "/webhooks")) return RateTier::webhooks;
    if (method == "POST" && (r == "/auth/login" || r == "/auth/register" || r == "/auth/refresh")) {
        return RateTier::auth;
    }
    if (method == "GET" || method == "HEAD" || method == "OPTIONS") return std::nullopt;
    return RateTier::writes;
}

bool is_json_media_type(std::string_view content_type) {
    const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (iequals(type, "application/json")) return true;
    if (type.size() < 17 || !iequals(type.substr(0, 12), "application/")) return false;
    return iequals(type.substr(type.size() - 5), "+json");
}

Edge::Edge(EdgeOptions options) : options_(std::move(options)) {}

Edge::Context Edge::begin(Request& request) const {
    Context c;
    c.started = std::chrono::steady_clock::now();
    std::vector<std::string_view> forwarded;
    if (!options_.trusted_proxies.empty()) {
        for (const Header& h : request.headers) {
            if (iequals(h.name, "X-Forwarded-For")) forwarded.push_back(h.value);
        }
    }
    request.client_ip = client_ip(request.peer, forwarded, options_.trusted_proxies);
    const auto origin = request.header("Origin");
    c.cors = options_.cors.grant(request.path, origin);
    if (c.cors.allowed) c.origin = std::string(*origin);
    c.scope = header_scope(request.path);
    c.method = HttpMetrics::method_index(request.method);
    c.route = route_index({});
    return c;
}

bool Edge::from_trusted_proxy(const Request& request) const {
    const auto peer = IpAddress::parse(request.peer);
    return peer && options_.trusted_proxies.contains(*peer);
}

std::optional<Response> Edge::admit(const Request& request, Context& context) const {
    if (options_.production && !request.secure) {
        if (const auto proto = request.header("X-Forwarded-Proto"); proto && from_trusted_proxy(request)) {
            if (auto r = https_redirect(*proto, request.header("Host"), request.target, request.path)) return r;
        }
    }
    if (context.cors.scoped && CorsPolicy::is_preflight(request)) {
        context.preflight = true;
        return CorsPolicy::preflight_response(context.cors, *request.header("Origin"));
    }
    if (options_.limiter) {
        if (const auto tier = rate_tier(request.method, request.path)) {
            const RateDecision d = options_.limiter->check(*tier, "ip:" + request.client_ip);
            if (!d.allowed) {
                log::debug("rate limited", {{"request_id", request.request_id},
                                            {"tier", to_string(*tier)},
                                            {"retry_after_s", d.retry_after.count()}});
                return too_many_requests(*tier, d.retry_after);
            }
        }
    }
    return std::nullopt;
}

std::optional<Response> Edge::check_body(const Request& request) const {
    if (!takes_body(request.method) || !api_relative(request.path) || request.body.empty()) return std::nullopt;
    const auto type = request.header("Content-Type");
    if (type && is_json_media_type(*type)) return std::nullopt;
    return problem_response(
        {ProblemType::unsupported_media_type,
         type ? fmt::format("Content-Type '{}' is not accepted; send application/json.", *type)
              : std::string("A request body needs Content-Type: application/json."),
         "The request must be sent as JSON.",
         {}});
}

void Edge::finish(const Context& context, Response& response) const {
    if (!context.preflight) CorsPolicy::add_headers(context.cors, context.origin, response.headers);
    add_security_headers(context.scope, options_.production, response.headers);
    if (options_.metrics) {
        options_.metrics->record(context.route, context.method, response.status,
                                 std::chrono::steady_clock::now() - context.started);
    }
}

std::size_t Edge::route_index(std::string_view pattern) const {
    return options_.metrics ? options_.metrics->route_index(pattern) : 0;
}

void Edge::bind_routes(const std::vector<std::string>& patterns) const {
    if (options_.metrics) options_.metrics->bind_routes(patterns);
}

}  // namespace codd::api
