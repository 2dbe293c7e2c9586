#pragma once
// CORS (DESIGN §7, §9): the admin UI's origin may call the whole API with credentials; embedded checkout
// forms may call /api/public/* from an exact-match allowlist. Origins are compared as whole strings
// (scheme://host[:port]), never by prefix or suffix, so https://partner.com.evil.com is not
// https://partner.com. A refused origin gets no CORS headers at all, and its preflight a 403.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace codd::api {

// The serialized form browsers send in `Origin`: lower-case scheme (http or https) and host, a port only
// when it is not the scheme's default, no path. A single trailing '/' is tolerated in configuration.
// nullopt if `text` is not such an origin (wildcards, paths, user info, "null" are not).
[[nodiscard]] std::optional<std::string> canonical_origin(std::string_view text);

inline constexpr std::string_view kCorsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";
inline constexpr std::string_view kCorsPublicAllowMethods = "GET, HEAD, POST";
inline constexpr std::string_view kCorsAllowHeaders =
    "Authorization, Content-Type, X-Request-ID, Idempotency-Key, If-Match, X-Codd-Min-Position";
inline constexpr std::string_view kCorsExposeHeaders = "X-Request-ID, X-Codd-Position, Retry-After";
inline constexpr std::string_view kCorsMaxAge = "600";

struct CorsConfig {
    std::optional<std::string> admin_origin;  // canonical
    std::vector<std::string> public_origins;  // canonical
};

// What a request's Origin is granted.
struct CorsGrant {
    bool scoped = false;       // the path is under CORS control: responses vary by Origin
    bool allowed = false;      // echo the origin
    bool credentials = false;  // only ever for the admin origin outside /api/public
    bool public_api = false;
};

class CorsPolicy {
  public:
    CorsPolicy() = default;
    explicit CorsPolicy(CorsConfig config) : config_(std::move(config)) {}

    // `origin`: the Origin header, if any.
    [[nodiscard]] CorsGrant grant(std::string_view path, std::optional<std::string_view> origin) const;

    // A browser's preflight: OPTIONS with Origin and Access-Control-Request-Method.
    [[nodiscard]] static bool is_preflight(const Request& request);

    // The 204 for an allowed preflight, or the 403 problem for a refused one.
    [[nodiscard]] static Response preflight_response(const CorsGrant& grant, std::string_view origin);

    // Adds Vary/Allow-Origin/Allow-Credentials/Expose-Headers to an actual response.
    static void add_headers(const CorsGrant& grant, std::string_view origin, std::vector<Header>& headers);

  private:
    CorsConfig config_;
};

}  // namespace codd::api
