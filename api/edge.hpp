#pragma once
// The hardened edge (DESIGN §7): what every request passes through before and after its handler, in one
// place, on plain structs. The Dispatcher calls it:
//   begin()   the client address and the CORS grant (before routing);
//   admit()   HTTPS redirect, CORS preflight, rate limit: a response here ends the request;
//   check_body()  415 for a request body that is not JSON (after routing, so a wrong path is still a 404);
//   finish()  CORS and security headers on every response, and its metrics.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/edge_client_ip.hpp"
#include "api/edge_cors.hpp"
#include "api/edge_headers.hpp"
#include "api/edge_metrics.hpp"
#include "api/edge_rate_limiter.hpp"
#include "api/http_types.hpp"

namespace codd::api {

struct EdgeOptions {
    bool production = false;  // HTTPS redirect and HSTS
    TrustedProxies trusted_proxies;
    CorsPolicy cors;
    std::shared_ptr<RateLimiter> limiter;  // null: no rate limits
    std::shared_ptr<HttpMetrics> metrics;  // null: no request metrics
};

// Which tier limits a request, if any: POST login/register/refresh → auth; /api/public/* → public;
// /api/webhooks/* → webhooks; any other method but GET, HEAD and OPTIONS under /api → writes.
[[nodiscard]] std::optional<RateTier> rate_tier(std::string_view method, std::string_view path);

// Whether a Content-Type names JSON: application/json or application/<something>+json, any parameters.
[[nodiscard]] bool is_json_media_type(std::string_view content_type);

class Edge {
  public:
    // What finish() needs to know about a request, taken while the request is at hand (a handler may move it).
    struct Context {
        CorsGrant cors;
        std::string origin;  // the Origin header when cors.allowed
        HeaderScope scope = HeaderScope::other;
        bool preflight = false;
        std::size_t route = 0;   // HttpMetrics route index; set by the Dispatcher once routed
        std::size_t method = 0;  // HttpMetrics method index
        std::chrono::steady_clock::time_point started;
    };

    explicit Edge(EdgeOptions options);

    // Sets request.client_ip (from request.peer and, behind a trusted proxy, X-Forwarded-For).
    [[nodiscard]] Context begin(Request& request) const;
    [[nodiscard]] std::optional<Response> admit(const Request& request, Context& context) const;
    [[nodiscard]] std::optional<Response> check_body(const Request& request) const;
    void finish(const Context& context, Response& response) const;

    // The metrics' route index of a matched pattern (0 without metrics).
    [[nodiscard]] std::size_t route_index(std::string_view pattern) const;
    void bind_routes(const std::vector<std::string>& patterns) const;

  private:
    [[nodiscard]] bool from_trusted_proxy(const Request& request) const;

    EdgeOptions options_;
};

}  // namespace codd::api
