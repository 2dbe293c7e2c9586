#pragma once
// Security headers on every response, and the HTTPS redirect behind a TLS-terminating proxy (DESIGN §7).
// The API answers JSON to programs, so the policy is strict: nothing may be sniffed, framed, referred to or
// loaded from a response. /api/public/* is the exception the embedded checkout forms need: it may be
// framed and read cross-origin.

#include <optional>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace codd::api {

inline constexpr std::string_view kHsts = "max-age=31536000; includeSubDomains";
inline constexpr std::string_view kApiCsp = "default-src 'none'; frame-ancestors 'none'";
inline constexpr std::string_view kPublicCsp = "default-src 'none'";

// Which policy a response gets: outside the API (ops endpoints), the API, or the public API.
enum class HeaderScope { other, api, public_api };
[[nodiscard]] HeaderScope header_scope(std::string_view path);

// Adds the headers the response does not set itself (a handler's own Cache-Control wins). `hsts`: also
// Strict-Transport-Security (production).
void add_security_headers(HeaderScope scope, bool hsts, std::vector<Header>& headers);

// The 308 to https://<host><target> for a request that reached our proxy over plain HTTP, or nullopt when
// none is due: only `/health*` and `/metrics` are exempt (probes and scrapers talk to the proxy inside).
// `forwarded_proto` is the X-Forwarded-Proto value; its first entry is the client's scheme. A missing or
// malformed Host gets a 400 rather than a redirect to an unknown place.
[[nodiscard]] std::optional<Response> https_redirect(std::string_view forwarded_proto,
                                                     std::optional<std::string_view> host, std::string_view target,
                                                     std::string_view path);

}  // namespace codd::api
